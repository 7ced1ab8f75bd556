import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import {
  type CanUseTool,
  type Options,
  type PermissionResult,
  type Query,
  type SDKMessage,
  type SDKResultMessage,
  type SDKUserMessage,
  type SessionStore,
  query as sdkQuery,
  startup as sdkStartup,
  type WarmQuery,
} from '@anthropic-ai/claude-agent-sdk';
import { AGENT_PROCESS_MARKER } from '../agent/agent-stream.js';
import { createInputQueue, type InputQueue } from '../agent/input-queue.js';
import { findMarkedChildProcesses, waitForExit } from '../process/process-table.js';
import type {
  CommitInput,
  CommitResult,
  InboxMessage,
  NewLogEntry,
  SessionRecord,
  SessionStatus,
  Store,
  StoreMutation,
  Usage,
} from '../store/store.js';
import { createEngineError } from './engine-error.js';
import { type EngineLogger, silentLogger } from './engine-logger.js';
import type { LiveStreamEvent } from './live-stream.js';

/** The part of the event log the runner writes through: commit, then publish. */
export interface EventLogAppender {
  append(sessionId: string, input: CommitInput): Promise<CommitResult>;
}

export type TurnOutcome = 'success' | 'error' | 'interrupted';

export interface PermissionAnswer {
  behavior: 'allow' | 'deny';
  message?: string;
}

/** Why a queued message must not start: it is cancelled with this code. */
export interface TurnRefusal {
  /** Stable UPPER_SNAKE code, e.g. `BUDGET_EXCEEDED`: the `message.cancelled` reason. */
  code: string;
  /** A human sentence, recorded in the `error` entry. */
  message: string;
}

export interface RunnerOptions {
  sessionId: string;
  store: Store;
  eventLog: EventLogAppender;
  /**
   * The SDK options of this session (cwd, env, model, permission mode, ...), asked for at every
   * process start. The runner adds sessionId/resume, sessionStore, canUseTool and the abort
   * controller itself.
   */
  sdkOptions: (session: SessionRecord) => Options;
  /** The SDK `sessionStore` adapter, so a hibernated session resumes from the Store. */
  sessionStore?: SessionStore;
  /** A turn running longer than this is interrupted (then closed) with TURN_TIMEOUT. Time spent
   * waiting for a permission answer does not count. Default: none. */
  turnTimeoutMs?: number;
  /** A permission request unanswered this long is denied. Default: waits forever. */
  permissionTimeoutMs?: number;
  /** How long an interrupted turn may take to settle before the process is closed. */
  interruptGraceMs?: number;
  /** How long close() waits for the CLI process to end before aborting it. */
  closeTimeoutMs?: number;
  /**
   * Asked right before each queued message starts its turn; a refusal cancels the message
   * (`message.cancelled` with the refusal's code as reason, then an `error` entry) and the
   * runner goes on with the next one. A hook that throws lets the turn run (logged).
   */
  beforeTurn?: (message: InboxMessage) => Promise<TurnRefusal | null> | TurnRefusal | null;
  /**
   * Token-level `stream_event` messages (the SDK's `includePartialMessages`, turned on when this
   * is given) go here, live and uncommitted, with the seq of the last committed entry. Without
   * it they are not asked for.
   */
  onStreamEvent?: (event: LiveStreamEvent) => void;
  /** Called with true when the runner starts working through its inbox, false once drained. */
  onActivity?: (busy: boolean) => void;
  logger?: EngineLogger;
  /** The SDK's `query` and `startup` (replaceable only in unit tests of pure logic). */
  query?: typeof sdkQuery;
  startup?: typeof sdkStartup;
  now?: () => number;
}

/**
 * One active session: owns ONE long-lived streaming-input `query()` (one CLI process serves
 * every turn), fed from the session's inbox one message at a time.
 */
export interface Runner {
  readonly sessionId: string;
  /** New messages were queued in the Store: work through them (in order) when not busy. */
  wake(): void;
  /** True while a turn runs or queued messages are being worked through. */
  isBusy(): boolean;
  /** True while a CLI process (or a pre-warmed one) is alive. */
  isLive(): boolean;
  /** Resolves once the inbox is drained (immediately when idle). */
  whenIdle(): Promise<void>;
  /**
   * The fast path of a message sent to an idle runner with nothing else queued: commits the
   * caller's `message.queued` commit (inbox insert included) together with `message.started`
   * (and status `running`) as ONE commit, and starts the turn as soon as it is durable. The
   * agent gets the message only after that commit. Returns null (nothing done) when the runner
   * is not idle, is closing, or must ask `beforeTurn` first: the caller then commits
   * `message.queued` alone and wakes the runner.
   */
  startNow(message: InboxMessage, queued: CommitInput): Promise<CommitResult> | null;
  /** Starts the CLI process ahead of the first message (SDK `startup()`); false on failure. */
  warm(): Promise<boolean>;
  /** Interrupts the running turn (outcome `interrupted`); false when none runs. */
  interrupt(): Promise<boolean>;
  /** Interrupts any turn, closes the process; the next message starts a fresh conversation. */
  reset(): Promise<void>;
  /** Answers a pending permission request; false when it is not pending here. */
  answerPermission(requestId: string, answer: PermissionAnswer): Promise<boolean>;
  /** Closes the idle process and marks the session `hibernated`. Throws SESSION_BUSY if busy. */
  hibernate(): Promise<void>;
  /**
   * Stops for good: interrupts a running turn, closes the process. `status` (default none)
   * is committed afterwards; pass `record: false` when the session is being deleted.
   */
  close(options?: { status?: SessionStatus; record?: boolean }): Promise<void>;
}

interface LiveProcess {
  query: Query;
  sdkSessionId: string;
  /** The `NAME=value` environment tag that finds this CLI process in /proc. */
  marker: string;
  input: InputQueue<SDKUserMessage>;
  abort: AbortController;
  /** Cumulative `total_cost_usd` seen so far from this process. */
  cumulativeCost: number;
  resumed: boolean;
  sawInit: boolean;
  exited: boolean;
  exitError: unknown;
  stderrTail: string[];
  finished: Promise<void>;
}

interface PreparedStart {
  options: Options;
  sdkSessionId: string;
  /**
   * A `NAME=value` variable unique to this start, put in the CLI's environment: the SDK does not
   * expose the child's pid, and a warm-up and a `query()` of the same session share a command
   * line, so this tag is what tells exactly which process to wait for.
   */
  marker: string;
  resumed: boolean;
  /** The SDK's cumulative cost this process starts from (a resume carries the saved total). */
  baselineCost: number;
  stderrTail: string[];
  abort: AbortController;
}

interface ActiveTurn {
  message: InboxMessage;
  process: LiveProcess | null;
  startedAt: number;
  interruptRequested: boolean;
  stopReason: string | null;
  timedOut: boolean;
  settled: boolean;
  timer: NodeJS.Timeout | null;
  timerStartedAt: number;
  remainingMs: number | null;
  done: Promise<void>;
  resolveDone: () => void;
}

interface PendingPermission {
  settle: (answer: PermissionAnswer) => void;
  recorded: Promise<void>;
}

const ZERO_USAGE: Usage = {
  inputTokens: 0,
  outputTokens: 0,
  cacheReadInputTokens: 0,
  cacheCreationInputTokens: 0,
};

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref?.());
}

function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

function usageOf(result: SDKResultMessage): Usage {
  const usage = result.usage as unknown as Record<string, unknown> | undefined;
  const number = (value: unknown) => (typeof value === 'number' ? value : 0);
  if (!usage) return { ...ZERO_USAGE };
  return {
    inputTokens: number(usage.input_tokens),
    outputTokens: number(usage.output_tokens),
    cacheReadInputTokens: number(usage.cache_read_input_tokens),
    cacheCreationInputTokens: number(usage.cache_creation_input_tokens),
  };
}

/**
 * This turn's own cost from the SDK's cumulative `total_cost_usd`. Never negative: a figure
 * lower than the previous one means the SDK restarted its count (a /clear, a crash result).
 */
export function turnCostDelta(previousCumulative: number, cumulative: number): number {
  if (!Number.isFinite(cumulative)) return 0;
  const delta = cumulative - previousCumulative;
  return delta >= 0 ? delta : Math.max(0, cumulative);
}

function resultErrorText(result: SDKResultMessage): string {
  const record = result as unknown as Record<string, unknown>;
  if (typeof record.result === 'string' && record.result.length > 0) return record.result;
  if (Array.isArray(record.errors) && record.errors.length > 0) return record.errors.join('; ');
  return `The agent ended the turn with ${result.subtype}`;
}

/**
 * A resumed SDK conversation continues the cumulative `total_cost_usd` its transcript saved
 * (measured: the first result after a resume already carries the earlier turns). The last
 * `result` this conversation logged holds that figure; it is near the end of the log.
 */
async function lastCumulativeCost(
  store: Store,
  sessionId: string,
  sdkSessionId: string,
  lastSeq: number,
): Promise<number> {
  const pageSize = 200;
  for (let end = lastSeq; end > 0 && lastSeq - end < 10_000; end -= pageSize) {
    const after = Math.max(0, end - pageSize);
    const page = await store.readLog(sessionId, { after, limit: end - after });
    for (let index = page.length - 1; index >= 0; index--) {
      const entry = page[index];
      if (entry?.type === 'session.reset') return 0;
      if (
        entry?.type === 'result' &&
        entry.session_id === sdkSessionId &&
        typeof entry.total_cost_usd === 'number'
      ) {
        return entry.total_cost_usd;
      }
    }
  }
  return 0;
}

function toEntry(message: SDKMessage): NewLogEntry {
  return { ...(message as unknown as NewLogEntry) };
}

/**
 * Creates the runner of one session. The Store is the source of truth: the runner reads its
 * next message from the inbox (`queued`, oldest first; a message with policy `interrupt` goes
 * ahead of older ones), and every state change goes through `eventLog.append` in the same commit
 * as the log entries that describe it.
 *
 * @example
 * ```ts
 * const runner = createRunner({
 *   sessionId, store, eventLog,
 *   sdkOptions: (session) => buildSdkOptions(agent, parseSessionAgentOptions(session.options), cwd),
 *   sessionStore: createTranscriptSessionStore(store),
 * });
 * runner.wake(); // after a message.queued commit
 * await runner.whenIdle();
 * ```
 */
export function createRunner(options: RunnerOptions): Runner {
  const { sessionId, store, eventLog } = options;
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? Date.now;
  const runQuery = options.query ?? sdkQuery;
  const runStartup = options.startup ?? sdkStartup;
  const interruptGraceMs = options.interruptGraceMs ?? 5000;
  const closeTimeoutMs = options.closeTimeoutMs ?? 8000;
  const processTermAfterMs = Math.min(3000, closeTimeoutMs);

  let status: SessionStatus | null = null;
  let live: LiveProcess | null = null;
  let warmQuery: { warm: WarmQuery; start: PreparedStart } | null = null;
  let warming: Promise<boolean> | null = null;
  let turn: ActiveTurn | null = null;
  let draining: Promise<void> | null = null;
  let wakeRequested = false;
  let barrier: Promise<void> | null = null;
  let closed = false;
  // Bumped by every reset: a warm-up begun before it would start the old conversation.
  let resets = 0;
  // Markers of the CLI processes this runner started and has not yet seen exit: close() waits
  // for every one, whichever path (warm-up, turn, failed start) spawned it.
  const spawned = new Set<string>();
  let busyReported = false;
  let commitChain: Promise<unknown> = Promise.resolve();
  // Commits issued and not yet settled: with none, a new one goes to the store in this tick.
  let commitsInFlight = 0;
  // The seq of the newest committed entry: stream events are published "after" it.
  let lastCommittedSeq = 0;
  const permissions = new Map<string, PendingPermission>();
  let idleWaiters: Array<() => void> = [];

  // All writes go through one chain so the log order is the order things happened in.
  function commit(input: CommitInput): Promise<CommitResult> {
    // Nothing ahead in the chain: append now rather than a microtask later, so the commit
    // joins the store's current batch and keeps its place against other writers of this tick.
    const result =
      commitsInFlight === 0
        ? eventLog.append(sessionId, input)
        : commitChain.then(() => eventLog.append(sessionId, input));
    commitsInFlight++;
    commitChain = result.then(
      () => {
        commitsInFlight--;
      },
      () => {
        commitsInFlight--;
      },
    );
    return result.then((committed) => {
      const tail = committed.entries.at(-1)?.seq;
      if (typeof tail === 'number' && tail > lastCommittedSeq) lastCommittedSeq = tail;
      return committed;
    });
  }

  async function commitQuietly(input: CommitInput, what: string): Promise<void> {
    try {
      await commit(input);
    } catch (error) {
      logger.error?.(`runner: commit failed (${what})`, { sessionId, error: errorText(error) });
    }
  }

  async function loadStatus(): Promise<void> {
    if (status !== null) return;
    const session = await store.getSession(sessionId);
    status = session?.status ?? 'idle';
  }

  /** Adds a status change to a commit when the status really changes. */
  function withStatus(
    next: SessionStatus,
    entries: NewLogEntry[],
    mutations: StoreMutation[],
  ): void {
    if (status === next) return;
    status = next;
    entries.push({ type: 'session.status', status: next });
    mutations.push({ kind: 'session.update', patch: { status: next } });
  }

  function reportBusy(busy: boolean): void {
    if (busyReported === busy) return;
    busyReported = busy;
    try {
      options.onActivity?.(busy);
    } catch (error) {
      logger.warn?.('runner: onActivity failed', { sessionId, error: errorText(error) });
    }
  }

  // ---- the CLI process -------------------------------------------------------------------

  const canUseTool: CanUseTool = async (toolName, input, { signal }) => {
    const current = turn;
    const requestId = randomUUID();
    if (current) pauseTimer(current);
    let settle!: (answer: PermissionAnswer) => void;
    const decision = new Promise<PermissionAnswer>((resolve) => {
      settle = resolve;
    });
    let markRecorded!: () => void;
    const recorded = new Promise<void>((resolve) => {
      markRecorded = resolve;
    });
    permissions.set(requestId, { settle, recorded });

    const entries: NewLogEntry[] = [{ type: 'permission.request', requestId, toolName, input }];
    const mutations: StoreMutation[] = [
      {
        kind: 'permission.insert',
        permission: {
          requestId,
          messageId: current?.message.id ?? null,
          toolName,
          input,
          createdAt: now(),
        },
      },
    ];
    withStatus('waiting_permission', entries, mutations);
    await commitQuietly({ entries, mutations }, 'permission.request');

    const onAbort = () =>
      settle({ behavior: 'deny', message: 'The permission request was aborted' });
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    let timeout: NodeJS.Timeout | null = null;
    if (options.permissionTimeoutMs !== undefined) {
      timeout = setTimeout(
        () => settle({ behavior: 'deny', message: 'The permission request timed out' }),
        options.permissionTimeoutMs,
      );
    }
    if (current?.interruptRequested) onAbort();

    const answer = await decision;
    if (timeout) clearTimeout(timeout);
    signal.removeEventListener('abort', onAbort);
    permissions.delete(requestId);

    const resolvedEntries: NewLogEntry[] = [
      { type: 'permission.resolved', requestId, behavior: answer.behavior },
    ];
    const resolvedMutations: StoreMutation[] = [
      {
        kind: 'permission.resolve',
        requestId,
        behavior: answer.behavior,
        message: answer.message ?? null,
        at: now(),
      },
    ];
    if (permissions.size === 0 && turn === current && current && !current.settled) {
      withStatus('running', resolvedEntries, resolvedMutations);
    }
    resolvedMutations.push({ kind: 'session.update', patch: { lastActiveAt: now() } });
    await commitQuietly(
      { entries: resolvedEntries, mutations: resolvedMutations },
      'permission.resolved',
    );
    markRecorded();
    if (current && turn === current) resumeTimer(current);

    const result: PermissionResult =
      answer.behavior === 'allow'
        ? { behavior: 'allow', updatedInput: input }
        : { behavior: 'deny', message: answer.message ?? 'The user denied this tool call' };
    return result;
  };

  async function prepareStart(): Promise<PreparedStart> {
    const session = await store.getSession(sessionId);
    if (!session) throw createEngineError('SESSION_NOT_FOUND', `Session ${sessionId} not found`);
    const base = options.sdkOptions(session);
    if (base.cwd) await mkdir(base.cwd, { recursive: true });
    const sdkSessionId = session.sdkSessionId ?? sessionId;
    const abort = new AbortController();
    const stderrTail: string[] = [];
    const tag = randomUUID();
    const startOptions: Options = {
      ...base,
      // The SDK's env replaces process.env (its default) for the child: keep that default.
      env: { ...(base.env ?? process.env), [AGENT_PROCESS_MARKER]: tag },
      canUseTool,
      abortController: abort,
      stderr: (data: string) => {
        stderrTail.push(data);
        if (stderrTail.length > 20) stderrTail.shift();
      },
    };
    if (options.onStreamEvent) startOptions.includePartialMessages = true;
    if (options.sessionStore) {
      startOptions.sessionStore = options.sessionStore;
      // Mirror every frame as it happens (default: at turn end), so a turn cut short by a crash
      // still leaves its transcript in the Store and the conversation can be resumed.
      startOptions.sessionStoreFlush = 'eager';
    }
    let baselineCost = 0;
    if (session.sdkStarted) {
      startOptions.resume = sdkSessionId;
      baselineCost = await lastCumulativeCost(store, sessionId, sdkSessionId, session.lastSeq);
    } else {
      startOptions.sessionId = sdkSessionId;
    }
    return {
      options: startOptions,
      sdkSessionId,
      marker: `${AGENT_PROCESS_MARKER}=${tag}`,
      resumed: session.sdkStarted,
      baselineCost,
      stderrTail,
      abort,
    };
  }

  function attach(start: PreparedStart, query: Query, input: InputQueue<SDKUserMessage>) {
    let markFinished!: () => void;
    const process: LiveProcess = {
      query,
      sdkSessionId: start.sdkSessionId,
      marker: start.marker,
      input,
      abort: start.abort,
      cumulativeCost: start.baselineCost,
      resumed: start.resumed,
      sawInit: false,
      exited: false,
      exitError: null,
      stderrTail: start.stderrTail,
      finished: new Promise<void>((resolve) => {
        markFinished = resolve;
      }),
    };
    live = process;
    void read(process).finally(markFinished);
    return process;
  }

  /** Refuses to start a process once close() began: nothing would ever close it. */
  function refuseWhenClosed(): void {
    if (closed) {
      throw createEngineError('SHUTTING_DOWN', `Session ${sessionId} is closing; no new process`);
    }
  }

  async function ensureProcess(): Promise<LiveProcess> {
    if (live && !live.exited) return live;
    if (warming) await warming;
    if (live && !live.exited) return live;
    refuseWhenClosed();
    const input = createInputQueue<SDKUserMessage>();
    if (warmQuery) {
      const { warm, start } = warmQuery;
      warmQuery = null;
      try {
        return attach(start, warm.query(input), input);
      } catch (error) {
        logger.warn?.('runner: pre-warmed process unusable, starting a new one', {
          sessionId,
          error: errorText(error),
        });
        await discardWarm(warm, start);
      }
    }
    const start = await prepareStart();
    // close() may have run while the session was read: it found no process to close.
    refuseWhenClosed();
    spawned.add(start.marker);
    return attach(start, runQuery({ prompt: input, options: start.options }), input);
  }

  async function read(process: LiveProcess): Promise<void> {
    try {
      for await (const message of process.query) {
        if (message.type === 'stream_event') {
          publishStreamEvent(message as unknown as Record<string, unknown>);
          continue;
        }
        if (message.type === 'system' && message.subtype === 'init') process.sawInit = true;
        const current = turn;
        if (message.type === 'result' && current && current.process === process) {
          await finishTurn(current, { kind: 'result', result: message });
          continue;
        }
        await commitQuietly({ entries: [toEntry(message)] }, message.type);
      }
    } catch (error) {
      process.exitError = error;
    } finally {
      process.exited = true;
      process.input.end();
      if (live === process) live = null;
      const current = turn;
      if (current && current.process === process && !current.settled) {
        await finishTurn(current, { kind: 'exit', error: process.exitError });
      } else if (process.exitError) {
        logger.warn?.('runner: CLI process ended between turns', {
          sessionId,
          error: errorText(process.exitError),
        });
      }
    }
  }

  function publishStreamEvent(message: Record<string, unknown>): void {
    if (!options.onStreamEvent) return;
    try {
      options.onStreamEvent({ afterSeq: lastCommittedSeq, message });
    } catch (error) {
      logger.warn?.('runner: onStreamEvent failed', { sessionId, error: errorText(error) });
    }
  }

  /**
   * Waits until the CLI processes tagged with `markers` really exited (the SDK's close()
   * returns before they have), signalling those that linger.
   */
  async function awaitExit(
    markers: string[],
    timing: { termAfterMs: number; killAfterMs: number } = {
      termAfterMs: processTermAfterMs,
      killAfterMs: closeTimeoutMs,
    },
  ): Promise<void> {
    const pids = findMarkedChildProcesses(markers);
    if (pids.length > 0) {
      const startedAt = now();
      const { forced, remaining } = await waitForExit(pids, timing);
      logger.debug?.('runner: CLI process exited', { sessionId, ms: now() - startedAt });
      if (forced.length > 0) {
        logger.warn?.('runner: CLI process had to be signalled to exit', {
          sessionId,
          pids: forced,
        });
      }
      if (remaining.length > 0) {
        logger.error?.('runner: CLI process survived SIGKILL', { sessionId, pids: remaining });
        return;
      }
    }
    for (const marker of markers) spawned.delete(marker);
  }

  /** Closes a pre-warmed process nobody will use, and waits until it is gone. */
  async function discardWarm(warm: WarmQuery, start: PreparedStart): Promise<void> {
    try {
      warm.close();
    } catch {
      // Already gone.
    }
    await awaitExit([start.marker]);
  }

  async function closeProcess(): Promise<void> {
    if (warming) await warming.catch(() => false);
    if (warmQuery) {
      const { warm, start } = warmQuery;
      warmQuery = null;
      await discardWarm(warm, start);
    }
    const process = live;
    if (!process) return;
    process.input.end();
    try {
      process.query.close();
    } catch {
      // Already closed.
    }
    const finished = await Promise.race([
      process.finished.then(() => true),
      sleep(closeTimeoutMs).then(() => false),
    ]);
    if (!finished) {
      logger.warn?.('runner: CLI process did not close in time; aborting it', { sessionId });
      process.abort.abort();
      await Promise.race([process.finished, sleep(2000)]);
    }
    if (live === process) live = null;
    await awaitExit([process.marker]);
  }

  // ---- turns -----------------------------------------------------------------------------

  function startTimer(current: ActiveTurn, ms: number): void {
    current.timerStartedAt = now();
    current.remainingMs = ms;
    current.timer = setTimeout(() => {
      current.timer = null;
      if (current.settled) return;
      current.timedOut = true;
      void stopTurn(current, 'timeout');
    }, ms);
  }

  function pauseTimer(current: ActiveTurn): void {
    if (!current.timer || current.remainingMs === null) return;
    clearTimeout(current.timer);
    current.timer = null;
    current.remainingMs = Math.max(0, current.remainingMs - (now() - current.timerStartedAt));
  }

  function resumeTimer(current: ActiveTurn): void {
    if (current.timer || current.remainingMs === null || current.settled) return;
    if (permissions.size > 0) return;
    startTimer(current, current.remainingMs);
  }

  async function finishTurn(
    current: ActiveTurn,
    end: { kind: 'result'; result: SDKResultMessage } | { kind: 'exit'; error: unknown },
  ): Promise<void> {
    if (current.settled) return;
    current.settled = true;
    if (current.timer) clearTimeout(current.timer);
    current.timer = null;
    const durationMs = now() - current.startedAt;
    const entries: NewLogEntry[] = [];
    let outcome: TurnOutcome;
    let costUsd = 0;
    let usage: Usage = { ...ZERO_USAGE };
    let failure: { code: string; error: string } | null = null;

    if (end.kind === 'result') {
      const result = end.result;
      const process = current.process;
      if (process) {
        costUsd = turnCostDelta(process.cumulativeCost, result.total_cost_usd);
        process.cumulativeCost = Math.max(process.cumulativeCost, result.total_cost_usd);
      }
      usage = usageOf(result);
      entries.push(toEntry(result));
      const succeeded = result.subtype === 'success' && !result.is_error;
      if (current.timedOut) {
        outcome = 'error';
      } else if (succeeded) {
        outcome = 'success';
      } else if (
        current.interruptRequested ||
        result.terminal_reason === 'aborted_streaming' ||
        result.terminal_reason === 'aborted_tools'
      ) {
        outcome = 'interrupted';
      } else {
        outcome = 'error';
        failure = {
          code: result.subtype === 'error_max_budget_usd' ? 'BUDGET_EXCEEDED' : 'AGENT_FAILED',
          error: resultErrorText(result),
        };
      }
    } else if (current.timedOut) {
      outcome = 'error';
    } else if (current.interruptRequested) {
      outcome = 'interrupted';
    } else {
      outcome = 'error';
      const stderr = current.process?.stderrTail.join('').trim() ?? '';
      const detail = end.error ? errorText(end.error) : 'the CLI process ended during the turn';
      failure = {
        code: 'AGENT_FAILED',
        error: `The agent process failed: ${detail}${stderr ? ` (${stderr.slice(-500)})` : ''}`,
      };
    }
    if (current.timedOut) {
      failure = { code: 'TURN_TIMEOUT', error: `The turn exceeded ${options.turnTimeoutMs} ms` };
    }
    if (failure) entries.push({ type: 'error', ...failure });

    const ended: NewLogEntry = {
      type: 'turn.ended',
      messageId: current.message.id,
      outcome,
      costUsd,
      durationMs,
    };
    if (current.stopReason) ended.reason = current.stopReason;
    entries.push(ended);
    const at = now();
    const mutations: StoreMutation[] = [
      {
        kind: 'inbox.update',
        messageId: current.message.id,
        status: 'completed',
        at,
        reason: current.stopReason ? `${outcome}:${current.stopReason}` : outcome,
      },
      {
        kind: 'turn.record',
        turn: { messageId: current.message.id, outcome, costUsd, durationMs, usage, endedAt: at },
      },
    ];
    const patch: Record<string, unknown> = { lastActiveAt: at };
    if (current.process?.sawInit || current.process?.resumed) patch.sdkStarted = true;
    if (status === 'waiting_permission') withStatus('running', entries, mutations);
    mutations.push({ kind: 'session.update', patch });
    await commitQuietly({ entries, mutations }, 'turn.ended');
    current.resolveDone();
  }

  /** Interrupts the turn; closes the process when it does not settle within the grace. */
  async function stopTurn(current: ActiveTurn, reason: string): Promise<void> {
    if (current.settled) return;
    current.interruptRequested = true;
    current.stopReason ??= reason;
    for (const pending of permissions.values()) {
      pending.settle({ behavior: 'deny', message: 'The turn was interrupted' });
    }
    const process = current.process;
    if (!process) {
      // Still starting its process: runTurn sees the flag before it sends anything. Waiting
      // for that lets reset() and close() find (and close) the process it may have started.
      await current.done;
      return;
    }
    try {
      await Promise.race([process.query.interrupt(), sleep(interruptGraceMs)]);
    } catch (error) {
      logger.warn?.('runner: interrupt failed', { sessionId, error: errorText(error) });
    }
    const settled = await Promise.race([
      current.done.then(() => true),
      sleep(interruptGraceMs).then(() => false),
    ]);
    if (!settled) {
      logger.warn?.('runner: turn did not stop after interrupt; closing the process', {
        sessionId,
      });
      if (live === process) await closeProcess();
      else process.abort.abort();
    }
    await current.done;
  }

  async function runTurn(message: InboxMessage, alreadyStarted = false): Promise<void> {
    let resolveDone!: () => void;
    const current: ActiveTurn = {
      message,
      process: null,
      startedAt: now(),
      interruptRequested: false,
      stopReason: null,
      timedOut: false,
      settled: false,
      timer: null,
      timerStartedAt: 0,
      remainingMs: null,
      done: new Promise<void>((resolve) => {
        resolveDone = resolve;
      }),
      resolveDone: () => resolveDone(),
    };
    turn = current;
    try {
      if (!alreadyStarted) {
        const entries: NewLogEntry[] = [{ type: 'message.started', messageId: message.id }];
        const mutations: StoreMutation[] = [
          { kind: 'inbox.update', messageId: message.id, status: 'started', at: now() },
        ];
        withStatus('running', entries, mutations);
        mutations.push({ kind: 'session.update', patch: { lastActiveAt: now() } });
        await commit({ entries, mutations });
      }

      let process: LiveProcess;
      try {
        process = await ensureProcess();
      } catch (error) {
        await finishTurn(current, { kind: 'exit', error });
        return;
      }
      current.process = process;
      if (current.interruptRequested) {
        await finishTurn(current, { kind: 'exit', error: null });
        return;
      }
      // durationMs keeps counting from message.started: a cold start is part of the user's wait.
      process.input.push({
        type: 'user',
        message: { role: 'user', content: message.content as SDKUserMessage['message']['content'] },
        parent_tool_use_id: null,
      });
      if (options.turnTimeoutMs !== undefined) startTimer(current, options.turnTimeoutMs);
      if (process.exited && !current.settled) {
        await finishTurn(current, { kind: 'exit', error: process.exitError });
      }
      await current.done;
    } finally {
      if (current.timer) clearTimeout(current.timer);
      if (turn === current) turn = null;
      // A turn that failed before it settled (a failed commit) must not keep stopTurn waiting.
      current.resolveDone();
    }
  }

  /** Asks `beforeTurn`; on a refusal cancels the message and returns true. */
  async function refusedBeforeTurn(message: InboxMessage): Promise<boolean> {
    if (!options.beforeTurn) return false;
    let refusal: TurnRefusal | null;
    try {
      refusal = await options.beforeTurn(message);
    } catch (error) {
      logger.error?.('runner: beforeTurn failed; running the turn', {
        sessionId,
        error: errorText(error),
      });
      return false;
    }
    if (!refusal) return false;
    await commit({
      entries: [
        { type: 'message.cancelled', messageId: message.id, reason: refusal.code },
        { type: 'error', code: refusal.code, error: refusal.message, messageId: message.id },
      ],
      mutations: [
        {
          kind: 'inbox.update',
          messageId: message.id,
          status: 'cancelled',
          at: now(),
          reason: refusal.code,
        },
        { kind: 'session.update', patch: { lastActiveAt: now() } },
      ],
    });
    return true;
  }

  function pickNext(queued: InboxMessage[]): InboxMessage | undefined {
    return queued.find((message) => message.policy === 'interrupt') ?? queued[0];
  }

  async function drain(first?: Promise<InboxMessage | null>): Promise<void> {
    if (first) {
      // startNow's message: started in the commit that queued it, once that commit is durable.
      const message = await first;
      if (message && !closed) await runTurn(message, true);
    }
    await loadStatus();
    while (wakeRequested && !closed) {
      wakeRequested = false;
      for (;;) {
        while (barrier) await barrier;
        if (closed) return;
        const next = pickNext(await store.listMessages(sessionId, 'queued'));
        if (!next) break;
        reportBusy(true);
        if (await refusedBeforeTurn(next)) continue;
        await runTurn(next);
      }
    }
    if (closed) return;
    const entries: NewLogEntry[] = [];
    const mutations: StoreMutation[] = [];
    withStatus('idle', entries, mutations);
    if (entries.length > 0) await commitQuietly({ entries, mutations }, 'session.status');
  }

  function wake(): void {
    if (closed) return;
    wakeRequested = true;
    if (draining) return;
    startDraining();
  }

  function startDraining(first?: Promise<InboxMessage | null>): void {
    draining = drain(first)
      .catch((error) => {
        logger.error?.('runner: inbox processing failed', { sessionId, error: errorText(error) });
      })
      .finally(() => {
        draining = null;
        if (wakeRequested && !closed) {
          // Woken while finishing: go round again.
          wake();
          return;
        }
        reportBusy(false);
        const waiters = idleWaiters;
        idleWaiters = [];
        for (const waiter of waiters) waiter();
      });
  }

  function startNow(message: InboxMessage, queued: CommitInput): Promise<CommitResult> | null {
    // `status` must be known to write the right status change; a runner that has not loaded
    // it yet has never drained, so the ordinary path costs it nothing extra.
    if (closed || draining || turn || barrier || wakeRequested || status === null) return null;
    if (options.beforeTurn) return null;
    const at = now();
    const entries: NewLogEntry[] = [
      ...queued.entries,
      { type: 'message.started', messageId: message.id },
    ];
    const mutations: StoreMutation[] = [
      ...(queued.mutations ?? []),
      { kind: 'inbox.update', messageId: message.id, status: 'started', at },
    ];
    withStatus('running', entries, mutations);
    mutations.push({ kind: 'session.update', patch: { lastActiveAt: at } });
    const committed = commit({ ...queued, entries, mutations });
    // Busy from now on: nothing may evict this runner or start another turn before this one.
    reportBusy(true);
    startDraining(
      committed.then(
        (result) => {
          if (!result.duplicate) {
            const seq = result.entries[0]?.seq ?? message.seq;
            return { ...message, seq, status: 'started' as const, startedAt: at };
          }
          // Nothing was written: the status we assumed is not the stored one.
          status = null;
          return null;
        },
        () => {
          status = null;
          return null;
        },
      ),
    );
    return committed;
  }

  // ---- public operations -----------------------------------------------------------------

  async function warm(): Promise<boolean> {
    if (closed) return false;
    if (live && !live.exited) return true;
    if (warmQuery) return true;
    if (warming) return warming;
    const generation = resets;
    // A warm-up that lost a race (close, reset, a turn's own process) is not wanted any more.
    const unwanted = () => closed || live !== null || generation !== resets;
    warming = (async () => {
      let start: PreparedStart | null = null;
      try {
        start = await prepareStart();
        if (unwanted()) return false;
        spawned.add(start.marker);
        const warmed = await runStartup({ options: start.options });
        if (unwanted()) {
          // Waited for here, inside `warming`: close() awaits it, so no process outlives close.
          await discardWarm(warmed, start);
          return false;
        }
        warmQuery = { warm: warmed, start };
        await loadStatus();
        const entries: NewLogEntry[] = [];
        const mutations: StoreMutation[] = [];
        if (status === 'hibernated') withStatus('idle', entries, mutations);
        if (entries.length > 0) await commitQuietly({ entries, mutations }, 'session.status');
        return true;
      } catch (error) {
        logger.warn?.('runner: startup() failed; the first message will use query()', {
          sessionId,
          error: errorText(error),
        });
        if (start) {
          if (warmQuery?.start === start) warmQuery = null;
          // A failed startup() (an initialize timeout) leaves its CLI child running: stop it,
          // or it would hold memory outside the live-process cap.
          start.abort.abort();
          await awaitExit([start.marker], { termAfterMs: 500, killAfterMs: 3000 });
        }
        return false;
      } finally {
        warming = null;
      }
    })();
    return warming;
  }

  async function interrupt(): Promise<boolean> {
    const current = turn;
    if (!current || current.settled) return false;
    await stopTurn(current, 'interrupt');
    return true;
  }

  async function reset(): Promise<void> {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    while (barrier) await barrier;
    barrier = gate;
    try {
      const current = turn;
      if (current && !current.settled) await stopTurn(current, 'reset');
      await closeProcess();
      await commit({
        entries: [{ type: 'session.reset' }],
        mutations: [
          { kind: 'session.update', patch: { sdkSessionId: randomUUID(), sdkStarted: false } },
        ],
      });
    } finally {
      resets++;
      barrier = null;
      release();
    }
  }

  async function answerPermission(requestId: string, answer: PermissionAnswer): Promise<boolean> {
    const pending = permissions.get(requestId);
    if (!pending) return false;
    pending.settle(answer);
    await pending.recorded;
    return true;
  }

  async function hibernate(): Promise<void> {
    if (draining || turn) {
      throw createEngineError('SESSION_BUSY', `Session ${sessionId} is busy; cannot hibernate`);
    }
    closed = true;
    await closeProcess();
    await awaitExit([...spawned]);
    await loadStatus();
    const entries: NewLogEntry[] = [];
    const mutations: StoreMutation[] = [];
    withStatus('hibernated', entries, mutations);
    if (entries.length > 0) await commitQuietly({ entries, mutations }, 'session.status');
  }

  async function close(closeOptions: { status?: SessionStatus; record?: boolean } = {}) {
    const record = closeOptions.record ?? true;
    closed = true;
    const current = turn;
    if (current && !current.settled) {
      if (record) await stopTurn(current, 'shutdown');
      else {
        current.interruptRequested = true;
        current.stopReason ??= 'deleted';
      }
    }
    for (const pending of permissions.values()) {
      pending.settle({ behavior: 'deny', message: 'The session was closed' });
    }
    await closeProcess();
    if (draining) await Promise.race([draining, sleep(closeTimeoutMs)]);
    // Whatever path started a process (a warm-up, a turn, a failed start), none outlives close:
    // nothing starts one once `closed` is set, so this closes and awaits the last of them.
    await closeProcess();
    await awaitExit([...spawned]);
    if (record && closeOptions.status) {
      await loadStatus();
      const entries: NewLogEntry[] = [];
      const mutations: StoreMutation[] = [];
      withStatus(closeOptions.status, entries, mutations);
      if (entries.length > 0) await commitQuietly({ entries, mutations }, 'session.status');
    }
  }

  return {
    sessionId,
    wake,
    isBusy: () => draining !== null || turn !== null,
    isLive: () => (live !== null && !live.exited) || warmQuery !== null || warming !== null,
    whenIdle: () =>
      draining === null
        ? Promise.resolve()
        : new Promise<void>((resolve) => idleWaiters.push(resolve)),
    startNow,
    warm,
    interrupt,
    reset,
    answerPermission,
    hibernate,
    close,
  };
}
