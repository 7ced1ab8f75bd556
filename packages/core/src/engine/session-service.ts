import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { SessionStore } from '@anthropic-ai/claude-agent-sdk';
import type { Bus } from '../bus/bus.js';
import { createEventLog, type EventLog, type SubscribeOptions } from '../log/event-log.js';
import { createTranscriptSessionStore } from '../log/transcript-session-store.js';
import type {
  CommitInput,
  InboxMessage,
  LogEntry,
  MessagePolicy,
  Page,
  SessionRecord,
  Store,
} from '../store/store.js';
import { type RecoveryReport, recoverSessions } from './crash-recovery.js';
import { createEngineError } from './engine-error.js';
import { type EngineLogger, silentLogger } from './engine-logger.js';
import { isLiveStreamEvent, type LiveStreamEvent, streamTopic } from './live-stream.js';
import { createRunner, type PermissionAnswer, type TurnRefusal } from './runner.js';
import { createRunnerPool } from './runner-pool.js';
import {
  type AgentDefaults,
  buildSdkOptions,
  parseSessionAgentOptions,
  type SessionAgentOptions,
} from './sdk-options.js';

/** What `beforeTurn` is asked about: the session and the message about to start. */
export interface BeforeTurnContext {
  session: SessionRecord;
  message: InboxMessage;
}

/** The first instant (ms epoch) of the UTC day holding `time`: daily budgets reset there. */
function startOfUtcDay(time: number): number {
  const date = new Date(time);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
}

export interface SessionServiceOptions {
  store: Store;
  bus: Bus;
  /** Defaults to `createEventLog({ store, bus })`. */
  eventLog?: EventLog;
  /** Each session works in `<workspaceRoot>/<sessionId>` (the same path on every node). */
  workspaceRoot: string;
  /** Host-level agent settings (env, model, permission mode, allowed tools, ...). */
  agent: AgentDefaults;
  /** Cap on live CLI processes (LRU; idle ones are hibernated to make room). */
  maxLive: number;
  /** Idle time after which a session's process is closed (status `hibernated`). */
  hibernateAfterMs: number;
  /** Per-turn limit; the turn is interrupted, then closed, with TURN_TIMEOUT. Default: none. */
  turnTimeoutMs?: number;
  /** Deny a permission request left unanswered this long. Default: wait forever. */
  permissionTimeoutMs?: number;
  /** Most messages a session may have queued (QUEUE_FULL beyond). Default 100. */
  maxQueuedPerSession?: number;
  /**
   * Per-tenant spend limit per UTC day, in USD, checked right before each turn starts (a
   * message queued while there was budget left does not run once it is spent): the message is
   * cancelled with reason `BUDGET_EXCEEDED` and an `error` entry. Default: no limit.
   */
  dailyBudgetUsd?: number;
  /**
   * Asked right before each turn starts, after the budget check; return a refusal to cancel
   * the message (`message.cancelled` with the refusal's code, then an `error` entry).
   */
  beforeTurn?: (
    context: BeforeTurnContext,
  ) => Promise<TurnRefusal | null | undefined> | TurnRefusal | null | undefined;
  /** Defaults to `createTranscriptSessionStore(store)`. */
  sessionStore?: SessionStore;
  /**
   * Ask the SDK for token-level `stream_event` messages and publish them live on
   * `streamTopic(sessionId)` (never committed, no seq; see {@link SessionService.followStream}).
   * Default true.
   */
  streamPartialMessages?: boolean;
  /** Grace for an interrupted turn to settle before its process is closed (default 5000). */
  interruptGraceMs?: number;
  logger?: EngineLogger;
}

export interface CreateSessionInput {
  title?: string | null;
  /** Per-session agent options (model, permissionMode, allowedTools, ...); unknown keys drop. */
  options?: Record<string, unknown>;
}

export interface SendMessageInput {
  /** A non-empty string or a non-empty array of Messages API content blocks. */
  content: unknown;
  policy?: MessagePolicy;
  clientMessageId?: string;
}

export interface SendMessageResult {
  messageId: string;
  /** seq of the `message.queued` entry. */
  seq: number;
  /** True when `clientMessageId` matched a message already queued (nothing new was queued). */
  duplicate: boolean;
}

/**
 * The session engine's command surface: everything the server (HTTP, WebSocket, SSE) and the
 * CLI call. Durable first: a command resolves once its effect is committed to the Store.
 */
export interface SessionService {
  /** Crash recovery (see `recoverSessions`), then runs the messages still queued. */
  start(): Promise<RecoveryReport>;
  createSession(tenantId: string, input?: CreateSessionInput): Promise<SessionRecord>;
  getSession(sessionId: string): Promise<SessionRecord | null>;
  listSessions(
    tenantId: string,
    page?: { cursor?: string | null; limit?: number },
  ): Promise<Page<SessionRecord>>;
  /** Stops the runner, removes the session's data and its workspace folder. */
  deleteSession(sessionId: string): Promise<boolean>;
  sendMessage(sessionId: string, input: SendMessageInput): Promise<SendMessageResult>;
  /** Interrupts the running turn; false when none runs. */
  interrupt(sessionId: string): Promise<boolean>;
  /** The next message starts a fresh SDK conversation; the log keeps the history. */
  reset(sessionId: string): Promise<void>;
  answerPermission(sessionId: string, requestId: string, answer: PermissionAnswer): Promise<void>;
  /** Starts the session's CLI process ahead of its first message; false if no slot is free. */
  warm(sessionId: string): Promise<boolean>;
  /** Closes the session's idle process now (status `hibernated`). */
  hibernate(sessionId: string): Promise<boolean>;
  /** Retention: deletes sessions inactive for longer than `maxAgeMs`; returns their ids. */
  cleanup(maxAgeMs: number): Promise<string[]>;
  /** Replay of `seq > after`, then live entries (see `EventLog.subscribe`). */
  subscribe(sessionId: string, options?: SubscribeOptions): AsyncIterable<LogEntry>;
  /**
   * Live token-level `stream_event`s of a session (uncommitted, not replayed, may be dropped):
   * resolves once listening; returns the function that stops. Nothing arrives when
   * `streamPartialMessages` is false.
   */
  followStream(
    sessionId: string,
    onEvent: (event: LiveStreamEvent) => void,
  ): Promise<() => Promise<void>>;
  /** Runners currently holding a live-process slot. */
  liveRunnerCount(): number;
  /** Interrupts running turns and closes every CLI process. */
  shutdown(): Promise<void>;
}

const SAFE_ID = /^[A-Za-z0-9_-]{1,128}$/;

function validContent(content: unknown): boolean {
  if (typeof content === 'string') return content.trim().length > 0;
  return Array.isArray(content) && content.length > 0;
}

/**
 * @example
 * ```ts
 * const store = createMemoryStore();
 * const service = createSessionService({
 *   store, bus: createMemoryBus(), workspaceRoot: '/srv/agent-sessions/workspaces',
 *   agent: { env: createAgentEnvironment(), allowedTools: ['Read', 'Grep'] },
 *   maxLive: 8, hibernateAfterMs: 600_000,
 * });
 * await service.start();
 * const session = await service.createSession('tenant-a', { title: 'demo' });
 * await service.sendMessage(session.id, { content: 'Hello', clientMessageId: 'c-1' });
 * for await (const entry of service.subscribe(session.id, { after: 0 })) {
 *   if (entry.type === 'turn.ended') break;
 * }
 * await service.shutdown();
 * ```
 */
export function createSessionService(options: SessionServiceOptions): SessionService {
  const { store, agent } = options;
  const logger = options.logger ?? silentLogger;
  const eventLog = options.eventLog ?? createEventLog({ store, bus: options.bus });
  const sessionStore = options.sessionStore ?? createTranscriptSessionStore(store);
  const workspaceRoot = resolve(options.workspaceRoot);
  const maxQueued = options.maxQueuedPerSession ?? 100;
  let shuttingDown = false;
  const dailyBudgetUsd = options.dailyBudgetUsd;
  const streamPartialMessages = options.streamPartialMessages ?? true;
  const publishStream = (sessionId: string, event: LiveStreamEvent): void => {
    options.bus.publish(streamTopic(sessionId), event).catch((error: unknown) => {
      logger.debug?.('session service: publishing a stream event failed', {
        sessionId,
        error: String(error),
      });
    });
  };
  const hasTurnCheck = (dailyBudgetUsd !== undefined && dailyBudgetUsd > 0) || !!options.beforeTurn;

  async function checkBeforeTurn(
    sessionId: string,
    message: InboxMessage,
  ): Promise<TurnRefusal | null> {
    const session = await store.getSession(sessionId);
    if (!session) return null;
    if (dailyBudgetUsd !== undefined && dailyBudgetUsd > 0) {
      const spent = await store.tenantCostSince(session.tenantId, startOfUtcDay(Date.now()));
      if (spent >= dailyBudgetUsd) {
        return {
          code: 'BUDGET_EXCEEDED',
          message: `The daily budget of $${dailyBudgetUsd} is used up ($${spent.toFixed(4)} spent today, UTC).`,
        };
      }
    }
    return (await options.beforeTurn?.({ session, message })) ?? null;
  }

  function workspaceOf(sessionId: string): string {
    if (!SAFE_ID.test(sessionId)) {
      throw createEngineError('BAD_REQUEST', 'A session id must be letters, digits, - or _');
    }
    return join(workspaceRoot, sessionId);
  }

  const pool = createRunnerPool({
    maxLive: options.maxLive,
    hibernateAfterMs: options.hibernateAfterMs,
    logger,
    createRunner: (sessionId, onActivity) =>
      createRunner({
        sessionId,
        store,
        eventLog,
        sessionStore,
        sdkOptions: (session) =>
          buildSdkOptions(
            agent,
            parseSessionAgentOptions(session.options),
            workspaceOf(session.id),
          ),
        onActivity,
        logger,
        ...(streamPartialMessages
          ? { onStreamEvent: (event: LiveStreamEvent) => publishStream(sessionId, event) }
          : {}),
        ...(hasTurnCheck
          ? { beforeTurn: (message: InboxMessage) => checkBeforeTurn(sessionId, message) }
          : {}),
        ...(options.turnTimeoutMs !== undefined ? { turnTimeoutMs: options.turnTimeoutMs } : {}),
        ...(options.permissionTimeoutMs !== undefined
          ? { permissionTimeoutMs: options.permissionTimeoutMs }
          : {}),
        ...(options.interruptGraceMs !== undefined
          ? { interruptGraceMs: options.interruptGraceMs }
          : {}),
      }),
  });

  function refuseWhenShuttingDown(): void {
    if (shuttingDown) throw createEngineError('SHUTTING_DOWN', 'The service is shutting down');
  }

  async function requireSession(sessionId: string): Promise<SessionRecord> {
    const session = await store.getSession(sessionId);
    if (!session) throw createEngineError('SESSION_NOT_FOUND', `Session ${sessionId} not found`);
    return session;
  }

  function wakeInBackground(sessionId: string): void {
    pool.acquire(sessionId, { wake: true }).catch((error) => {
      if (!shuttingDown) {
        logger.error?.('session service: could not start the runner', {
          sessionId,
          error: String(error),
        });
      }
    });
  }

  async function hasPendingWork(sessionId: string): Promise<InboxMessage[]> {
    return store.listMessages(sessionId, ['queued', 'started']);
  }

  async function deleteOne(sessionId: string): Promise<boolean> {
    await pool.remove(sessionId);
    const removed = await store.deleteSession(sessionId);
    await rm(workspaceOf(sessionId), { recursive: true, force: true });
    return removed;
  }

  return {
    async start() {
      refuseWhenShuttingDown();
      const report = await recoverSessions({ store, eventLog, sessionStore, logger });
      for (const sessionId of report.sessionsWithQueue) wakeInBackground(sessionId);
      return report;
    },

    async createSession(tenantId, input = {}) {
      refuseWhenShuttingDown();
      const sessionOptions: SessionAgentOptions = parseSessionAgentOptions(input.options ?? {});
      const id = randomUUID();
      try {
        buildSdkOptions(agent, sessionOptions, workspaceOf(id));
      } catch (error) {
        throw createEngineError('BAD_REQUEST', (error as Error).message, error);
      }
      return store.createSession({
        id,
        tenantId,
        title: input.title ?? null,
        options: sessionOptions as Record<string, unknown>,
      });
    },

    getSession: (sessionId) => store.getSession(sessionId),

    listSessions: (tenantId, page = {}) =>
      store.listSessions({
        tenantId,
        ...(page.cursor !== undefined ? { cursor: page.cursor } : {}),
        ...(page.limit !== undefined ? { limit: page.limit } : {}),
      }),

    deleteSession: (sessionId) => deleteOne(sessionId),

    async sendMessage(sessionId, input) {
      refuseWhenShuttingDown();
      if (!validContent(input.content)) {
        throw createEngineError(
          'BAD_REQUEST',
          'content must be a non-empty string or a non-empty array of content blocks',
        );
      }
      const policy: MessagePolicy = input.policy ?? 'enqueue';
      await requireSession(sessionId);
      const clientMessageId = input.clientMessageId;
      if (clientMessageId !== undefined) {
        const existing = await store.findMessageByClientId(sessionId, clientMessageId);
        if (existing) return { messageId: existing.id, seq: existing.seq, duplicate: true };
      }
      const pending = await hasPendingWork(sessionId);
      if (policy === 'reject' && (pending.length > 0 || pool.get(sessionId)?.isBusy())) {
        throw createEngineError('SESSION_BUSY', 'The session is running a turn');
      }
      if (pending.filter((message) => message.status === 'queued').length >= maxQueued) {
        throw createEngineError(
          'QUEUE_FULL',
          `The session already has ${maxQueued} queued messages`,
        );
      }

      const messageId = randomUUID();
      const queued: Record<string, unknown> = {
        type: 'message.queued',
        messageId,
        content: input.content,
        policy,
      };
      if (clientMessageId !== undefined) queued.clientMessageId = clientMessageId;
      const createdAt = Date.now();
      const commitInput: CommitInput = {
        entries: [queued as { type: string }],
        mutations: [
          {
            kind: 'inbox.insert',
            message: {
              id: messageId,
              clientMessageId: clientMessageId ?? null,
              content: input.content,
              policy,
              createdAt,
            },
          },
          // A session with work queued is active: retention must not remove it before it runs.
          { kind: 'session.update', patch: { lastActiveAt: createdAt } },
        ],
        ...(clientMessageId !== undefined ? { dedupeClientMessageId: clientMessageId } : {}),
      };
      // Nothing else queued or running and the runner idle: the message is next in line, so
      // its runner commits message.queued and message.started together (one commit, durable
      // before the ack and before the agent sees the message).
      const idleRunner = pending.length === 0 ? pool.get(sessionId) : undefined;
      const startedNow = idleRunner?.startNow(
        {
          id: messageId,
          sessionId,
          clientMessageId: clientMessageId ?? null,
          content: input.content,
          policy,
          status: 'queued',
          seq: 0,
          createdAt,
          startedAt: null,
          endedAt: null,
          reason: null,
        },
        commitInput,
      );
      const result = await (startedNow ?? eventLog.append(sessionId, commitInput));
      if (result.duplicate) {
        return { messageId: result.duplicate.id, seq: result.duplicate.seq, duplicate: true };
      }
      const seq = result.entries[0]?.seq ?? 0;
      if (startedNow) return { messageId, seq, duplicate: false };
      if (policy === 'interrupt') {
        const runner = pool.get(sessionId);
        if (runner) {
          void runner.interrupt().catch((error) => {
            logger.warn?.('session service: interrupt failed', { sessionId, error: String(error) });
          });
        }
      }
      wakeInBackground(sessionId);
      return { messageId, seq, duplicate: false };
    },

    async interrupt(sessionId) {
      await requireSession(sessionId);
      return (await pool.get(sessionId)?.interrupt()) ?? false;
    },

    async reset(sessionId) {
      refuseWhenShuttingDown();
      await requireSession(sessionId);
      const runner = pool.get(sessionId);
      if (runner) {
        await runner.reset();
        return;
      }
      // No live process: nothing to stop, only the conversation to switch.
      await eventLog.append(sessionId, {
        entries: [{ type: 'session.reset' }],
        mutations: [
          { kind: 'session.update', patch: { sdkSessionId: randomUUID(), sdkStarted: false } },
        ],
      });
    },

    async answerPermission(sessionId, requestId, answer) {
      await requireSession(sessionId);
      const answered = await pool.get(sessionId)?.answerPermission(requestId, answer);
      if (!answered) {
        throw createEngineError(
          'PERMISSION_NOT_FOUND',
          `No pending permission request ${requestId} in this session`,
        );
      }
    },

    async warm(sessionId) {
      refuseWhenShuttingDown();
      await requireSession(sessionId);
      return pool.warm(sessionId);
    },

    async hibernate(sessionId) {
      await requireSession(sessionId);
      return pool.hibernate(sessionId);
    },

    async cleanup(maxAgeMs) {
      const ids = await store.listSessionsInactiveSince(Date.now() - maxAgeMs);
      const deleted: string[] = [];
      for (const sessionId of ids) {
        if (pool.get(sessionId)?.isBusy()) continue;
        // Work still queued or running (maybe on another node, or not woken yet): keep it.
        if ((await hasPendingWork(sessionId)).length > 0) continue;
        if (await deleteOne(sessionId)) deleted.push(sessionId);
      }
      return deleted;
    },

    subscribe: (sessionId, subscribeOptions) => eventLog.subscribe(sessionId, subscribeOptions),

    followStream: (sessionId, onEvent) =>
      options.bus.subscribe(streamTopic(sessionId), (payload) => {
        if (isLiveStreamEvent(payload)) onEvent(payload);
      }),

    liveRunnerCount: () => pool.size(),

    async shutdown() {
      shuttingDown = true;
      await pool.shutdown();
    },
  };
}
