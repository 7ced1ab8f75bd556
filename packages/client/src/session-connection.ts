import {
  type AckFrame,
  AgentSessionsError,
  type Content,
  type LogEntry,
  type PermissionBehavior,
  type Session,
} from '@agent-sessions/protocol';
import { type BackoffOptions, computeBackoffDelay } from './backoff.js';
import {
  type AgentSessionsClient,
  createClientMessageId,
  type SendOptions,
  toAgentSessionsError,
  type WebSocketLike,
} from './create-client.js';
import { createSeqTracker } from './seq-tracker.js';

/** Where a connection stands. `closed` is final. */
export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** The `session.ready` frame's content. */
export interface ReadyInfo {
  session: Session;
  lastSeq: number;
}

/** Events a {@link SessionConnection} emits. */
export interface ConnectionEvents {
  /** A log entry, each exactly once, in seq order. */
  entry: LogEntry;
  /** A live token-level `stream_event` (no seq, not in the log, not replayed). */
  stream: Record<string, unknown>;
  /** The connection state changed. */
  state: ConnectionState;
  /** An error frame from the server, or a fatal connection error (then state becomes `closed`). */
  error: AgentSessionsError;
  /** A (re)connection was accepted: the session as it is now. */
  ready: ReadyInfo;
  /** A sent message became durable. */
  ack: AckFrame;
}

/** Options of `session.connect()`. */
export interface ConnectOptions {
  /** Deliver entries with `seq > after` (default 0: the whole log, then live entries). */
  after?: number;
  /** Reconnect delays (exponential with jitter). */
  backoff?: BackoffOptions;
  /** Ping interval; a connection silent for twice this long is dropped and reopened. 0 disables. Default 15 000. */
  heartbeatMs?: number;
}

/**
 * The controls of one session, the same on a `SessionHandle` (HTTP), a
 * {@link SessionConnection} (over the socket, or over HTTP while disconnected) and the React
 * hook's state.
 *
 * @example
 * ```ts
 * const stop = (controls: SessionControls) => controls.interrupt();
 * await stop(client.session(sessionId));
 * ```
 */
export interface SessionControls {
  /** Interrupts the running turn. */
  interrupt(): Promise<void>;
  /** The next message starts a fresh conversation. */
  reset(): Promise<void>;
  /** Answers a `permission.request`. */
  respondToPermission(
    requestId: string,
    behavior: PermissionBehavior,
    message?: string,
  ): Promise<void>;
}

/**
 * A live connection to one session that survives disconnects: it reconnects with exponential
 * backoff and jitter, resumes from the last delivered seq, and never delivers an entry twice
 * or skips one (a gap makes it reconnect from the last contiguous seq).
 */
export interface SessionConnection extends AsyncIterable<LogEntry>, SessionControls {
  readonly sessionId: string;
  readonly state: ConnectionState;
  /** Seq of the last entry delivered. */
  readonly lastSeq: number;
  /** The session object from the latest `session.ready`, or null before the first. */
  readonly session: Session | null;
  /** Subscribes to an event; returns the unsubscribe function. */
  on<Name extends keyof ConnectionEvents>(
    name: Name,
    listener: (value: ConnectionEvents[Name]) => void,
  ): () => void;
  /**
   * Sends a user message and resolves with its ack once it is durable. Sent while disconnected,
   * it waits and goes out after the reconnect; an unacknowledged message is resent after every
   * reconnect with the same `clientMessageId`, so the server queues it exactly once.
   */
  send(content: Content, options?: SendOptions): Promise<AckFrame>;
  /** Drops the current socket and reconnects (e.g. after the network changed). */
  reconnect(): void;
  /** Closes for good; pending sends are rejected and iterators end. */
  close(): void;
}

interface PendingSend {
  clientMessageId: string;
  frame: string;
  resolve: (ack: AckFrame) => void;
  reject: (error: AgentSessionsError) => void;
  /** The socket it was last written to, to tell which error frame may answer it. */
  sentOn: WebSocketLike | null;
}

// Error frames that answer a message frame rather than the connection as a whole.
const MESSAGE_ERROR_CODES = new Set([
  'SESSION_BUSY',
  'QUEUE_FULL',
  'PAYLOAD_TOO_LARGE',
  'INVALID_FRAME',
  'BUDGET_EXCEEDED',
  'RATE_LIMITED',
]);
const FATAL_CODES = new Set(['UNAUTHORIZED', 'FORBIDDEN', 'SESSION_NOT_FOUND', 'NOT_FOUND']);
const OPEN = 1;

/**
 * Opens a resuming connection; prefer `client.session(id).connect()`.
 *
 * @example
 * ```ts
 * const connection = client.session(sessionId).connect();
 * connection.on('state', (state) => console.log('connection', state));
 * for await (const entry of connection) {
 *   if (entry.type === 'turn.ended') break;
 * }
 * connection.close();
 * ```
 */
export function connectSession(
  client: AgentSessionsClient,
  sessionId: string,
  options: ConnectOptions = {},
): SessionConnection {
  const tracker = createSeqTracker(options.after ?? 0);
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const listeners = new Map<keyof ConnectionEvents, Set<(value: never) => void>>();
  const iterators = new Set<{ push: (entry: LogEntry) => void; end: () => void }>();
  const pending = new Map<string, PendingSend>();
  let state: ConnectionState = 'connecting';
  let socket: WebSocketLike | null = null;
  let ready = false;
  let attempt = 0;
  let session: Session | null = null;
  let reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  let heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  let lastHeardAt = Date.now();

  function emit<Name extends keyof ConnectionEvents>(
    name: Name,
    value: ConnectionEvents[Name],
  ): void {
    for (const listener of [...(listeners.get(name) ?? [])]) {
      try {
        (listener as (value: ConnectionEvents[Name]) => void)(value);
      } catch (error) {
        // A broken listener must not stop delivery to the others; surface it asynchronously.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  // A function, not an inline comparison: state changes across the await above.
  function isClosed(): boolean {
    return state === 'closed';
  }

  function setState(next: ConnectionState): void {
    if (state === next) return;
    state = next;
    emit('state', next);
  }

  function open(): void {
    reconnectTimer = undefined;
    if (state === 'closed') return;
    let url: string;
    let current: WebSocketLike;
    try {
      url = client.webSocketUrl(sessionId, tracker.lastSeq);
      current = client.openWebSocket(url);
    } catch (error) {
      fail(AgentSessionsError.is(error) ? error : toAgentSessionsError(undefined, String(error)));
      return;
    }
    socket = current;
    ready = false;
    lastHeardAt = Date.now();
    current.onmessage = (event) => {
      if (socket !== current) return;
      lastHeardAt = Date.now();
      handleFrame(current, event.data);
    };
    current.onclose = (event) => {
      if (socket !== current) return;
      socket = null;
      void handleClose(event.code, event.reason, ready);
    };
    // 'error' is always followed by 'close', which does the work.
    current.onerror = () => {};
  }

  function detachSocket(): void {
    const current = socket;
    socket = null;
    ready = false;
    if (current === null) return;
    current.onmessage = null;
    current.onclose = null;
    try {
      current.close();
    } catch {
      // Already closing.
    }
  }

  function handleFrame(current: WebSocketLike, data: unknown): void {
    let frame: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(typeof data === 'string' ? data : String(data));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return;
      frame = parsed as Record<string, unknown>;
    } catch {
      return;
    }
    const type = frame.type;
    if (typeof frame.seq === 'number' && type !== 'ack') {
      const decision = tracker.accept(frame.seq);
      if (decision === 'deliver') {
        const entry = frame as unknown as LogEntry;
        emit('entry', entry);
        for (const iterator of iterators) iterator.push(entry);
      } else if (decision === 'gap') {
        // An entry went missing: the only safe recovery is a replay from the last good seq.
        detachSocket();
        scheduleReconnect(true);
      }
      return;
    }
    switch (type) {
      case 'session.ready': {
        session = frame.session as Session;
        ready = true;
        attempt = 0;
        setState('open');
        emit('ready', { session, lastSeq: Number(frame.lastSeq) });
        for (const item of pending.values()) write(current, item);
        return;
      }
      case 'ack': {
        const ack = frame as unknown as AckFrame;
        const item =
          ack.clientMessageId === undefined ? undefined : pending.get(ack.clientMessageId);
        if (item) {
          pending.delete(item.clientMessageId);
          item.resolve(ack);
        }
        emit('ack', ack);
        return;
      }
      case 'error': {
        const error = toAgentSessionsError(frame, 'The server reported an error.');
        const target =
          typeof frame.clientMessageId === 'string'
            ? pending.get(frame.clientMessageId)
            : MESSAGE_ERROR_CODES.has(error.code)
              ? [...pending.values()].find((item) => item.sentOn === current)
              : undefined;
        if (target) {
          pending.delete(target.clientMessageId);
          target.reject(error);
        }
        emit('error', error);
        return;
      }
      case 'stream_event':
        emit('stream', frame);
        return;
      default:
        return;
    }
  }

  function write(current: WebSocketLike, item: PendingSend): void {
    if (current.readyState !== OPEN) return;
    item.sentOn = current;
    current.send(item.frame);
  }

  async function handleClose(code: number, reason: string, wasReady: boolean): Promise<void> {
    ready = false;
    if (state === 'closed') return;
    if (code === 4404) {
      fail(
        new AgentSessionsError(
          'SESSION_NOT_FOUND',
          reason || `Session ${sessionId} was not found.`,
        ),
      );
      return;
    }
    if (code === 4400) {
      // The server refused the connection's parameters: retrying unchanged cannot help.
      fail(new AgentSessionsError('BAD_REQUEST', reason || 'The server refused the connection.'));
      return;
    }
    if (code === 4401 || code === 4403) {
      fail(new AgentSessionsError('UNAUTHORIZED', reason || 'The server refused the API key.'));
      return;
    }
    if (!wasReady) {
      // Browsers hide why an upgrade failed; ask over HTTP whether retrying can ever help.
      try {
        await client.getSession(sessionId);
      } catch (error) {
        if (AgentSessionsError.is(error) && FATAL_CODES.has(error.code)) {
          fail(error);
          return;
        }
      }
      if (isClosed()) return;
    }
    scheduleReconnect(false);
  }

  function scheduleReconnect(immediately: boolean): void {
    if (state === 'closed' || reconnectTimer !== undefined) return;
    setState('reconnecting');
    const delay = immediately ? 0 : computeBackoffDelay(attempt, options.backoff);
    attempt += 1;
    reconnectTimer = setTimeout(open, delay);
  }

  function fail(error: AgentSessionsError): void {
    emit('error', error);
    shutdown(error);
  }

  function shutdown(error: AgentSessionsError): void {
    if (state === 'closed') return;
    setState('closed');
    if (reconnectTimer !== undefined) clearTimeout(reconnectTimer);
    reconnectTimer = undefined;
    if (heartbeatTimer !== undefined) clearInterval(heartbeatTimer);
    detachSocket();
    for (const item of pending.values()) item.reject(error);
    pending.clear();
    for (const iterator of iterators) iterator.end();
    iterators.clear();
  }

  function sendControl(
    frame: Record<string, unknown>,
    overHttp: () => Promise<void>,
  ): Promise<void> {
    if (state === 'closed') {
      return Promise.reject(new AgentSessionsError('INTERNAL', 'The connection is closed.'));
    }
    if (socket !== null && ready && socket.readyState === OPEN) {
      socket.send(JSON.stringify(frame));
      return Promise.resolve();
    }
    return overHttp();
  }

  if (heartbeatMs > 0) {
    heartbeatTimer = setInterval(() => {
      if (socket === null || !ready) return;
      if (Date.now() - lastHeardAt > heartbeatMs * 2) {
        // Half-open TCP: no close will ever come, so give up on this socket ourselves.
        detachSocket();
        scheduleReconnect(true);
        return;
      }
      if (socket.readyState === OPEN) socket.send(JSON.stringify({ type: 'ping' }));
    }, heartbeatMs);
    (heartbeatTimer as { unref?: () => void }).unref?.();
  }

  const connection: SessionConnection = {
    sessionId,
    get state() {
      return state;
    },
    get lastSeq() {
      return tracker.lastSeq;
    },
    get session() {
      return session;
    },
    on(name, listener) {
      let set = listeners.get(name);
      if (!set) {
        set = new Set();
        listeners.set(name, set);
      }
      set.add(listener as (value: never) => void);
      return () => {
        set.delete(listener as (value: never) => void);
      };
    },
    send(content, sendOptions = {}) {
      if (state === 'closed') {
        return Promise.reject(new AgentSessionsError('INTERNAL', 'The connection is closed.'));
      }
      const clientMessageId = sendOptions.clientMessageId ?? createClientMessageId();
      const existing = pending.get(clientMessageId);
      if (existing) {
        return new Promise<AckFrame>((resolve, reject) => {
          const { resolve: first, reject: firstReject } = existing;
          existing.resolve = (ack) => {
            first(ack);
            resolve(ack);
          };
          existing.reject = (error) => {
            firstReject(error);
            reject(error);
          };
        });
      }
      const frame: Record<string, unknown> = { type: 'message', content, clientMessageId };
      if (sendOptions.policy !== undefined) frame.policy = sendOptions.policy;
      return new Promise<AckFrame>((resolve, reject) => {
        const item: PendingSend = {
          clientMessageId,
          frame: JSON.stringify(frame),
          resolve,
          reject,
          sentOn: null,
        };
        pending.set(clientMessageId, item);
        if (socket !== null && ready) write(socket, item);
      });
    },
    interrupt: () => sendControl({ type: 'interrupt' }, () => client.interrupt(sessionId)),
    reset: () => sendControl({ type: 'reset' }, () => client.reset(sessionId)),
    respondToPermission: (requestId, behavior, message) =>
      sendControl(
        message === undefined
          ? { type: 'permission', requestId, behavior }
          : { type: 'permission', requestId, behavior, message },
        () => client.respondToPermission(sessionId, requestId, behavior, message),
      ),
    reconnect() {
      if (state === 'closed') return;
      detachSocket();
      if (reconnectTimer !== undefined) {
        clearTimeout(reconnectTimer);
        reconnectTimer = undefined;
      }
      scheduleReconnect(true);
    },
    close() {
      shutdown(new AgentSessionsError('INTERNAL', 'The connection was closed.'));
    },
    [Symbol.asyncIterator](): AsyncIterator<LogEntry> {
      const buffer: LogEntry[] = [];
      const waiting: Array<(result: IteratorResult<LogEntry>) => void> = [];
      let done = state === 'closed';
      const iterator = {
        push(entry: LogEntry) {
          const waiter = waiting.shift();
          if (waiter) waiter({ value: entry, done: false });
          else buffer.push(entry);
        },
        end() {
          done = true;
          for (const waiter of waiting.splice(0)) waiter({ value: undefined, done: true });
        },
      };
      if (!done) iterators.add(iterator);
      return {
        next() {
          const entry = buffer.shift();
          if (entry !== undefined) return Promise.resolve({ value: entry, done: false });
          if (done) return Promise.resolve({ value: undefined, done: true });
          return new Promise((resolve) => waiting.push(resolve));
        },
        return() {
          iterators.delete(iterator);
          iterator.end();
          buffer.length = 0;
          return Promise.resolve({ value: undefined, done: true });
        },
      };
    },
  };

  // Open on the next tick so callers can subscribe before the first entry can arrive.
  queueMicrotask(open);
  return connection;
}
