import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryStore, type Store } from '@agent-sessions/core';
import { loadConfig, type ServerConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { type RunningServer, startServer } from '../start-server.js';

export interface TestServer {
  running: RunningServer;
  url: string;
  wsUrl: string;
  dataDir: string;
  close(): Promise<void>;
}

/** An in-process server on port 0 with the embedded scripted model and a temp data dir. */
export async function startTestServer(
  flags: Partial<Record<keyof ServerConfig, unknown>> = {},
  options: { store?: Store; env?: Record<string, string> } = {},
): Promise<TestServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'agent-sessions-server-'));
  const config = loadConfig({
    env: options.env ?? {},
    flags: { port: 0, dataDir, maxLive: 4, logLevel: 'warn', ...flags },
  });
  const running = await startServer(config, {
    store: options.store ?? createMemoryStore(),
    logger: createLogger({ level: config.logLevel }),
    print: () => {},
  });
  return {
    running,
    url: running.url,
    wsUrl: running.url.replace(/^http/, 'ws'),
    dataDir,
    async close() {
      await running.close();
      await rm(dataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    },
  };
}
