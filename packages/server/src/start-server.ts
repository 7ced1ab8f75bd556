import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  type Bus,
  createAgentEnvironment,
  createMemoryBus,
  createOfflineEnvironment,
  createSessionService,
  isLiveStreamEvent,
  type LogEntry,
  type Store,
  streamTopic,
} from '@agent-sessions/core';
import { createScriptedModel } from '@agent-sessions/scripted-model';
import { createSqliteStore } from '@agent-sessions/store-sqlite';
import type { Logger } from 'pino';
import { type ApiKeyStore, createApiKeyStore } from './api-key-store.js';
import { createAuthenticator } from './auth.js';
import {
  assertPermissionModeRunnable,
  assertSafeBinding,
  RECOMMENDED_KEY_LENGTH,
  type ServerConfig,
  tenantsWithShortKeys,
} from './config.js';
import { type AgentSessionsServer, createServer } from './create-server.js';
import { createLogger, toEngineLogger } from './logger.js';
import { createServerMetrics } from './metrics.js';
import { createObservedBus } from './observed-bus.js';
import { createTurnObserver } from './turn-observer.js';

export interface StartServerOptions {
  /** A store to use instead of SQLite in `<dataDir>/agent-sessions.db` (tests). */
  store?: Store;
  logger?: Logger;
  /** Where start-up banners go (default: stdout). */
  print?: (line: string) => void;
  /** Extra environment for the agent's CLI (e.g. IS_SANDBOX=1). */
  agentEnv?: Record<string, string>;
}

export interface RunningServer {
  /** Base URL, e.g. `http://127.0.0.1:3000`. */
  url: string;
  /** The embedded scripted model's URL when no ANTHROPIC_API_KEY was given. */
  scriptedModelUrl: string | null;
  server: AgentSessionsServer;
  store: Store;
  /** Graceful shutdown, then closes the model, the store and the key store. Idempotent. */
  close(): Promise<void>;
}

/**
 * Lets `observe` see the live `stream_event`s published on a session's stream topic (as
 * entries without seq), e.g. for the time-to-first-token histogram.
 */
function withStreamObserver(
  bus: Bus,
  observe: (sessionId: string, entries: LogEntry[]) => void,
): Bus {
  const prefix = streamTopic('');
  return {
    async publish(topic, message) {
      if (topic.startsWith(prefix) && isLiveStreamEvent(message)) {
        try {
          observe(topic.slice(prefix.length), [message.message as unknown as LogEntry]);
        } catch {
          // Metrics must never break delivery.
        }
      }
      return bus.publish(topic, message);
    },
    subscribe: (topic, handler) => bus.subscribe(topic, handler),
    close: () => bus.close(),
  };
}

/** The API key store file inside the data dir. */
export function apiKeyStorePath(dataDir: string): string {
  return join(resolve(dataDir), 'api-keys.db');
}

/**
 * Starts agent-sessions from a validated config: SQLite store in the data dir, the session
 * engine (crash recovery first), the embedded scripted model when there is no ANTHROPIC_API_KEY,
 * then the HTTP/WebSocket server. Refuses to listen off-loopback without keys.
 *
 * @example
 * ```ts
 * const running = await startServer(loadConfig({ env: process.env }));
 * console.log(running.url);
 * process.once('SIGTERM', () => running.close().then(() => process.exit(0)));
 * ```
 */
export async function startServer(
  config: ServerConfig,
  options: StartServerOptions = {},
): Promise<RunningServer> {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  // The agent's env is built from an allowlist, so IS_SANDBOX reaches the CLI only from here.
  const sandboxed = (options.agentEnv?.IS_SANDBOX ?? process.env.IS_SANDBOX) === '1';
  assertPermissionModeRunnable(config.permissionMode, {
    isRoot: process.getuid?.() === 0,
    isSandbox: sandboxed,
  });
  const agentEnv: Record<string, string> | undefined =
    config.permissionMode === 'bypassPermissions' && sandboxed
      ? { IS_SANDBOX: '1', ...options.agentEnv }
      : options.agentEnv;
  const dataDir = resolve(config.dataDir);
  await mkdir(dataDir, { recursive: true });

  let keyStore: ApiKeyStore | undefined;
  let store: Store | undefined;
  let bus: Bus | undefined;
  let model: Awaited<ReturnType<typeof createScriptedModel>> | undefined;
  const cleanup = async () => {
    await model?.close().catch(() => {});
    await bus?.close().catch(() => {});
    await store?.close().catch(() => {});
    keyStore?.close();
  };
  try {
    keyStore = createApiKeyStore({ path: apiKeyStorePath(dataDir) });
    assertSafeBinding(config, keyStore.totalCount() > 0);
    const weak = tenantsWithShortKeys(config.keys);
    if (weak.length > 0) {
      // Tenants only: the keys themselves never reach a log.
      logger.warn(
        { tenants: weak },
        `AGENT_SESSIONS_KEYS has keys shorter than ${RECOMMENDED_KEY_LENGTH} characters (tenants: ${weak.join(', ')}); use long random keys, e.g. \`agent-sessions keys create\``,
      );
    }
    const openStore: Store =
      options.store ?? (await createSqliteStore({ path: join(dataDir, 'agent-sessions.db') }));
    store = openStore;

    const configDir = join(dataDir, 'claude', 'config');
    const tmpDir = join(dataDir, 'claude', 'tmp');
    await Promise.all([configDir, tmpDir].map((dir) => mkdir(dir, { recursive: true })));
    let env: Record<string, string>;
    if (config.anthropicApiKey) {
      env = createAgentEnvironment({
        apiKey: config.anthropicApiKey,
        ...(config.anthropicBaseUrl ? { baseUrl: config.anthropicBaseUrl } : {}),
        configDir,
        tmpDir,
        ...(agentEnv ? { extra: agentEnv } : {}),
      });
    } else {
      model = await createScriptedModel({ port: 0 });
      env = createOfflineEnvironment({
        baseUrl: model.url,
        configDir,
        tmpDir,
        ...(agentEnv ? { extra: agentEnv } : {}),
      });
      print('');
      print('  ************************************************************************');
      print('  *  No ANTHROPIC_API_KEY set: running the EMBEDDED SCRIPTED MODEL.       *');
      print('  *  Replies are scripted (offline demo/test mode), NOT from Claude.      *');
      print('  *  Set ANTHROPIC_API_KEY to use the real Anthropic API.                 *');
      print('  ************************************************************************');
      print(`  scripted model at ${model.url}`);
      print('');
    }

    let liveRunners = () => 0;
    const metrics = createServerMetrics({
      liveRunners: () => liveRunners(),
      sessionsByStatus: async () => {
        const counts: Record<string, number> = {};
        for (const session of await openStore.listOpenSessions()) {
          counts[session.status] = (counts[session.status] ?? 0) + 1;
        }
        return counts;
      },
    });
    const observeTurns = createTurnObserver(metrics);
    bus = createObservedBus(withStreamObserver(createMemoryBus(), observeTurns), observeTurns);
    const service = createSessionService({
      store: openStore,
      bus,
      workspaceRoot: join(dataDir, 'workspaces'),
      agent: {
        env,
        ...(config.model ? { model: config.model } : {}),
        ...(config.permissionMode ? { permissionMode: config.permissionMode } : {}),
      },
      maxLive: config.maxLive,
      hibernateAfterMs: config.hibernateAfterMs,
      maxQueuedPerSession: config.maxQueuedPerSession,
      streamPartialMessages: config.streamTokens,
      // Checked again right before each turn starts: a message queued while budget was left
      // is cancelled (BUDGET_EXCEEDED) once earlier turns have spent it.
      ...(config.dailyBudgetUsd > 0 ? { dailyBudgetUsd: config.dailyBudgetUsd } : {}),
      ...(config.turnTimeoutMs ? { turnTimeoutMs: config.turnTimeoutMs } : {}),
      ...(config.permissionTimeoutMs ? { permissionTimeoutMs: config.permissionTimeoutMs } : {}),
      logger: toEngineLogger(logger),
    });
    liveRunners = () => service.liveRunnerCount();
    const report = await service.start();
    logger.info({ recovery: report }, 'engine started');

    let queued = 0;
    for (const session of await openStore.listOpenSessions()) {
      queued += (await openStore.listMessages(session.id, 'queued')).length;
    }
    metrics.queueDepth.set(queued);

    const server = createServer({
      config,
      service,
      store: openStore,
      authenticator: createAuthenticator({ staticKeys: config.keys, keyStore }),
      logger,
      metrics,
      streams: config.streamTokens ? service : null,
    });
    const url = await server.listen();
    const authMode =
      config.keys.length > 0 || keyStore.totalCount() > 0
        ? 'API keys required'
        : 'anonymous (loopback only)';
    print(`agent-sessions listening on ${url} (data in ${dataDir}; auth: ${authMode})`);
    logger.info({ url, dataDir, maxLive: config.maxLive }, 'listening');

    let closing: Promise<void> | undefined;
    return {
      url,
      scriptedModelUrl: model?.url ?? null,
      server,
      store: openStore,
      close() {
        closing ??= (async () => {
          await server.shutdown();
          await cleanup();
        })();
        return closing;
      },
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
