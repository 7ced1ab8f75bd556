/**
 * Our server, in this process, on 127.0.0.1, offline.
 *
 * - `startRealServer()` is `startServer()` itself (SQLite store in a temp data dir, the
 *   embedded scripted model, the engine): what `npm start` runs.
 * - `startComposedServer()` builds the same components the way `startServer()` does, but keeps
 *   the event log in hand so a benchmark can append agent events without a CLI turn (the
 *   relay and load benchmarks). The server, gateway, event log, store and bus are ours and
 *   unchanged; only the turn observer (metrics on the bus) is left out.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createEventLog,
  createMemoryBus,
  createOfflineEnvironment,
  createSessionService,
  type EventLog,
  type SessionService,
  type Store,
} from '@agent-sessions/core';
import { createScriptedModel } from '@agent-sessions/scripted-model';
import {
  createAuthenticator,
  createLogger,
  createServer,
  createServerMetrics,
  loadConfig,
  type RunningServer,
  type ServerConfig,
  startServer,
} from '@agent-sessions/server';
import { createSqliteStore, type SqliteStore } from '@agent-sessions/store-sqlite';

/** Flags that keep the server's own limits out of the way of a benchmark's load. */
const BENCH_FLAGS: Partial<Record<keyof ServerConfig, unknown>> = {
  port: 0,
  host: '127.0.0.1',
  logLevel: 'silent',
  rateLimitPerMinute: 10_000_000,
  messageRateLimitPerMinute: 10_000_000,
  maxQueuedPerSession: 10_000,
};

export interface BenchServer {
  url: string;
  wsUrl: string;
  dataDir: string;
  store: Store;
  close(): Promise<void>;
}

export interface RealServer extends BenchServer {
  running: RunningServer;
  /** The configuration the server runs with (e.g. whether it streams tokens). */
  config: ServerConfig;
}

/** A temp data dir; pass `dataDir` to reuse one prepared earlier (density). */
async function dataDirFor(dataDir: string | undefined): Promise<{ dir: string; owned: boolean }> {
  if (dataDir) return { dir: dataDir, owned: false };
  return { dir: await mkdtemp(join(tmpdir(), 'agent-sessions-bench-')), owned: true };
}

/**
 * `startServer()` on a temp data dir (SQLite, synchronous FULL), port 0, silent logs.
 *
 * @example
 * ```ts
 * const server = await startRealServer({ maxLive: 4 });
 * const socket = new WebSocket(`${server.wsUrl}/ws`);
 * await server.close();
 * ```
 */
export async function startRealServer(
  flags: Partial<Record<keyof ServerConfig, unknown>> = {},
  options: { dataDir?: string; keepDataDir?: boolean } = {},
): Promise<RealServer> {
  const { dir, owned } = await dataDirFor(options.dataDir);
  const config = loadConfig({ env: {}, flags: { ...BENCH_FLAGS, dataDir: dir, ...flags } });
  const running = await startServer(config, {
    logger: createLogger({ level: 'silent' }),
    print: () => {},
  });
  return {
    running,
    config,
    url: running.url,
    wsUrl: running.url.replace(/^http/, 'ws'),
    dataDir: dir,
    store: running.store,
    async close() {
      await running.close();
      if (owned && !options.keepDataDir) await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface ComposedServer extends BenchServer {
  eventLog: EventLog;
  service: SessionService;
  store: SqliteStore;
}

/**
 * The server's own components, composed as `startServer()` composes them, with the event log
 * exposed for direct appends.
 */
export async function startComposedServer(
  flags: Partial<Record<keyof ServerConfig, unknown>> = {},
  options: { synchronous?: 'FULL' | 'NORMAL'; dataDir?: string } = {},
): Promise<ComposedServer> {
  const { dir: dataDir, owned } = await dataDirFor(options.dataDir);
  const config = loadConfig({ env: {}, flags: { ...BENCH_FLAGS, dataDir, ...flags } });
  const store = createSqliteStore({
    path: join(dataDir, 'agent-sessions.db'),
    synchronous: options.synchronous ?? 'FULL',
  });
  const bus = createMemoryBus();
  const eventLog = createEventLog({ store, bus });
  const model = await createScriptedModel({ port: 0 });
  const configDir = join(dataDir, 'claude', 'config');
  const tmpDir = join(dataDir, 'claude', 'tmp');
  await Promise.all([configDir, tmpDir].map((dir) => mkdir(dir, { recursive: true })));
  const logger = createLogger({ level: 'silent' });
  const service = createSessionService({
    store,
    bus,
    eventLog,
    workspaceRoot: join(dataDir, 'workspaces'),
    agent: { env: createOfflineEnvironment({ baseUrl: model.url, configDir, tmpDir }) },
    maxLive: config.maxLive,
    hibernateAfterMs: config.hibernateAfterMs,
    maxQueuedPerSession: config.maxQueuedPerSession,
  });
  await service.start();
  const metrics = createServerMetrics({
    liveRunners: () => service.liveRunnerCount(),
    defaultMetrics: false,
  });
  const server = createServer({
    config,
    service,
    store,
    authenticator: createAuthenticator({ staticKeys: config.keys }),
    logger,
    metrics,
  });
  const url = await server.listen();
  let closing: Promise<void> | undefined;
  return {
    url,
    wsUrl: url.replace(/^http/, 'ws'),
    dataDir,
    store,
    eventLog,
    service,
    close() {
      closing ??= (async () => {
        await server.shutdown();
        await model.close();
        await bus.close();
        await store.close();
        if (owned) await rm(dataDir, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}
