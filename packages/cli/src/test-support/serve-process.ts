import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { listDescendantProcesses } from '@agent-sessions/core/testing';

const binPath = fileURLToPath(new URL('../bin.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  wsUrl: string;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL the server and every process it started (the CLI children would outlive it). */
  killHard(): void;
  /** SIGTERM, wait for exit. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs `agent-sessions <args>` from the TypeScript sources (no build needed). */
export function runCli(args: string[], env: Record<string, string> = {}) {
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', binPath, ...args],
    {
      cwd: repoRoot,
      env: { ...cleanEnv(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, exited, stdout: () => stdout, stderr: () => stderr };
}

/** The parent's env minus anything that would switch the server off the scripted model. */
function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    if (
      /^(ANTHROPIC_|AGENT_SESSIONS_|CLAUDE_)/.test(name) ||
      name === 'PORT' ||
      name === 'HOST' ||
      name === 'DATA_DIR'
    )
      continue;
    env[name] = value;
  }
  return env;
}

/** Starts `agent-sessions serve --port 0` on `dataDir` and waits for its URL line. */
export async function startServeProcess(
  dataDir: string,
  env: Record<string, string> = {},
  extraArgs: string[] = [],
): Promise<ServeProcess> {
  const run = runCli(
    ['serve', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn', ...extraArgs],
    env,
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`server did not start: ${run.stdout()} ${run.stderr()}`)),
      30_000,
    );
    const check = () => {
      const match = /listening on (http:\/\/\S+)/.exec(run.stdout());
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    run.child.stdout.on('data', check);
    void run.exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`server exited: ${run.stdout()} ${run.stderr()}`));
    });
  });
  return {
    ...run,
    url,
    wsUrl: url.replace(/^http/, 'ws'),
    killHard() {
      const descendants = run.child.pid ? listDescendantProcesses(run.child.pid) : [];
      run.child.kill('SIGKILL');
      for (const process_ of descendants) {
        try {
          process.kill(process_.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    },
    async stop() {
      if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGTERM');
      return run.exited;
    },
  };
}
