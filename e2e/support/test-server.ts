import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type RunningServer, startServer } from '@agent-sessions/server';

/** Options of {@link startTestServer}. */
export interface TestServerOptions {
  /** `tenant:key` pairs, as AGENT_SESSIONS_KEYS. */
  keys?: string;
  /** AGENT_SESSIONS_PERMISSION_MODE (`default` asks the client). */
  permissionMode?: string;
}

/** A real agent-sessions server on a free loopback port, with the embedded scripted model. */
export interface TestServer {
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  readonly running: RunningServer;
  /** Stops the server (data dir kept). */
  stop(): Promise<void>;
  /** Starts it again on the same port and data dir. */
  start(): Promise<void>;
  /** Stops it and removes the data dir. */
  close(): Promise<void>;
}

/**
 * Starts `startServer` in-process on port 0 in a fresh temp data dir; `stop()`/`start()`
 * restart it on the same port so browsers and clients can reconnect to the same URL.
 *
 * @example
 * ```ts
 * const server = await startTestServer();
 * const client = createClient({ url: server.url, WebSocket });
 * await server.close();
 * ```
 */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'agent-sessions-e2e-'));
  let port = 0;
  let running: RunningServer | null = null;
  const env: Record<string, string | undefined> = {
    AGENT_SESSIONS_KEYS: options.keys,
    AGENT_SESSIONS_PERMISSION_MODE: options.permissionMode,
  };
  async function start(): Promise<void> {
    const config = loadConfig({
      env,
      flags: { port, host: '127.0.0.1', dataDir, logLevel: 'silent' },
    });
    running = await startServer(config, { print: () => {} });
    port = Number(new URL(running.url).port);
  }
  await start();
  const server: TestServer = {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    dataDir,
    get running() {
      if (running === null) throw new Error('the test server is stopped');
      return running;
    },
    async stop() {
      const current = running;
      running = null;
      await current?.close();
    },
    start,
    async close() {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    },
  };
  return server;
}
