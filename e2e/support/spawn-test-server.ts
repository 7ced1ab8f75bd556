import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** A test server running in a child process. */
export interface SpawnedTestServer {
  readonly url: string;
  close(): Promise<void>;
}

// Strings, not URL objects: under happy-dom the global URL is the DOM's, which Node refuses.
const here = dirname(fileURLToPath(import.meta.url));
const mainPath = join(here, 'test-server-main.ts');
const repositoryRoot = join(here, '..', '..');

/**
 * Starts a real server (embedded scripted model, temp data dir) in a child Node process, for
 * test environments such as happy-dom where the server must not share the page's globals.
 *
 * @example
 * ```ts
 * const server = await spawnTestServer({ permissionMode: 'default' });
 * await server.close();
 * ```
 */
export async function spawnTestServer(
  options: { keys?: string; permissionMode?: string } = {},
): Promise<SpawnedTestServer> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', mainPath], {
    cwd: repositoryRoot,
    env: {
      ...process.env,
      TEST_SERVER_KEYS: options.keys ?? '',
      TEST_SERVER_PERMISSION_MODE: options.permissionMode ?? '',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const exited = once(child, 'exit');
  const first = await Promise.race([
    once(lines, 'line').then(([line]) => String(line)),
    exited.then(([code]) => {
      throw new Error(`the test server exited with code ${String(code)} before it started`);
    }),
  ]);
  const { url } = JSON.parse(first) as { url: string };
  return {
    url,
    async close() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
