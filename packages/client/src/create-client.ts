import {
  AgentSessionsError,
  type Content,
  type CreateSessionBody,
  type ErrorCode,
  type EventsPage,
  type LogEntry,
  type MessageAccepted,
  type MessagePolicy,
  type PermissionBehavior,
  type Session,
  type SessionPage,
} from '@agent-sessions/protocol';
import {
  type ConnectOptions,
  connectSession,
  type SessionConnection,
  type SessionControls,
} from './session-connection.js';

/** The part of the browser WebSocket API the client uses (the `ws` package has it too). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

/**
 * A WebSocket constructor with the browser API: the global one, or the `ws` package's. Typed
 * loosely because the DOM and `ws` typings of event handlers differ; both work at run time.
 */
export type WebSocketConstructor = new (url: string) => object;

/** Options of {@link createClient}. */
export interface ClientOptions {
  /** Base URL of the server, e.g. `http://127.0.0.1:3000` (a trailing slash is fine). */
  url: string;
  /** API key; sent as `Authorization: Bearer` over HTTP and as `token=` on WebSocket. */
  apiKey?: string;
  /** WebSocket implementation; defaults to `globalThis.WebSocket` (Node 20 has none: pass `ws`). */
  WebSocket?: WebSocketConstructor;
  /** fetch implementation; defaults to `globalThis.fetch`. */
  fetch?: typeof fetch;
}

/** Options of a user message. */
export interface SendOptions {
  /** `enqueue` (default), `interrupt` or `reject`. */
  policy?: MessagePolicy;
  /** Idempotency key: a resend with the same id is not queued twice. */
  clientMessageId?: string;
}

/** A handle on one session: REST calls bound to its id, and `connect()` for the live stream. */
export interface SessionHandle extends SessionControls {
  readonly id: string;
  /** Opens the live, resuming connection (see {@link SessionConnection}). */
  connect(options?: ConnectOptions): SessionConnection;
  get(): Promise<Session>;
  delete(): Promise<void>;
  sendMessage(content: Content, options?: SendOptions): Promise<MessageAccepted>;
  getEvents(options?: { after?: number; limit?: number }): Promise<EventsPage>;
  getAllEvents(options?: { after?: number }): Promise<LogEntry[]>;
}

/** The agent-sessions client. Every method throws {@link AgentSessionsError} with the server's code. */
export interface AgentSessionsClient {
  readonly url: string;
  readonly apiKey: string | undefined;
  createSession(body?: CreateSessionBody): Promise<Session>;
  listSessions(options?: { cursor?: string; limit?: number }): Promise<SessionPage>;
  getSession(sessionId: string): Promise<Session>;
  deleteSession(sessionId: string): Promise<void>;
  sendMessage(sessionId: string, content: Content, options?: SendOptions): Promise<MessageAccepted>;
  interrupt(sessionId: string): Promise<void>;
  reset(sessionId: string): Promise<void>;
  respondToPermission(
    sessionId: string,
    requestId: string,
    behavior: PermissionBehavior,
    message?: string,
  ): Promise<void>;
  /** One page of log entries with `seq > after`. */
  getEvents(sessionId: string, options?: { after?: number; limit?: number }): Promise<EventsPage>;
  /** Every log entry with `seq > after`, following pages to the session's last seq. */
  getAllEvents(sessionId: string, options?: { after?: number }): Promise<LogEntry[]>;
  /** A handle bound to one session. */
  session(sessionId: string): SessionHandle;
  /** The WebSocket URL for a session, with `after` and (if a key is set) `token`. */
  webSocketUrl(sessionId: string, after: number): string;
  /** Opens a socket with the configured implementation (throws if there is none). */
  openWebSocket(url: string): WebSocketLike;
}

/** A random id for idempotency keys; `crypto.randomUUID` is missing on insecure origins. */
export function createClientMessageId(): string {
  const cryptoApi = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (cryptoApi?.randomUUID) {
    try {
      return cryptoApi.randomUUID();
    } catch {
      // Insecure context in some browsers: fall through.
    }
  }
  return `c-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}

/** Turns an `{error, code}` body (or anything) into an AgentSessionsError. */
export function toAgentSessionsError(
  body: unknown,
  fallback: string,
  code = 'INTERNAL',
): AgentSessionsError {
  if (typeof body === 'object' && body !== null) {
    const record = body as { error?: unknown; code?: unknown };
    if (typeof record.error === 'string' && typeof record.code === 'string') {
      // Newer servers may send codes this version does not know; keep them as they are.
      return new AgentSessionsError(record.code as ErrorCode, record.error);
    }
  }
  return new AgentSessionsError(code as ErrorCode, fallback);
}

/**
 * Creates a client for an agent-sessions server. Works in browsers and on Node 20+ (pass the
 * `ws` package as `WebSocket` there).
 *
 * @example
 * ```ts
 * import { createClient } from '@agent-sessions/client';
 * import WebSocket from 'ws'; // Node only
 *
 * const client = createClient({ url: 'http://127.0.0.1:3000', apiKey, WebSocket });
 * const session = await client.createSession();
 * const connection = client.session(session.id).connect();
 * connection.on('entry', (entry) => console.log(entry.seq, entry.type));
 * const ack = await connection.send('Hello');
 * ```
 */
export function createClient(options: ClientOptions): AgentSessionsClient {
  const baseUrl = options.url.replace(/\/+$/, '');
  const fetchImplementation = options.fetch ?? globalThis.fetch?.bind(globalThis);
  const apiKey = options.apiKey;

  async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
    if (!fetchImplementation) {
      throw new AgentSessionsError(
        'INTERNAL',
        'No fetch implementation: pass `fetch` to createClient.',
      );
    }
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (apiKey) headers.authorization = `Bearer ${apiKey}`;
    let response: Response;
    try {
      response = await fetchImplementation(`${baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new AgentSessionsError('INTERNAL', `Cannot reach ${baseUrl}: ${String(error)}`, {
        cause: error,
      });
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!response.ok) {
      throw toAgentSessionsError(
        parsed,
        `${method} ${path} failed with HTTP ${response.status}`,
        statusCode(response.status),
      );
    }
    return parsed as T;
  }

  const sessionPath = (sessionId: string) => `/v1/sessions/${encodeURIComponent(sessionId)}`;

  const client: AgentSessionsClient = {
    url: baseUrl,
    apiKey,
    openWebSocket(url) {
      const implementation =
        options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
      if (!implementation) {
        throw new AgentSessionsError(
          'INTERNAL',
          'No WebSocket implementation: pass `WebSocket` (e.g. from the ws package) to createClient.',
        );
      }
      return new implementation(url) as WebSocketLike;
    },
    createSession: (body = {}) => request<Session>('POST', '/v1/sessions', body),
    listSessions: ({ cursor, limit } = {}) => {
      const query = new URLSearchParams();
      if (cursor !== undefined) query.set('cursor', cursor);
      if (limit !== undefined) query.set('limit', String(limit));
      const suffix = query.size > 0 ? `?${query}` : '';
      return request<SessionPage>('GET', `/v1/sessions${suffix}`);
    },
    getSession: (sessionId) => request<Session>('GET', sessionPath(sessionId)),
    deleteSession: async (sessionId) => {
      await request<void>('DELETE', sessionPath(sessionId));
    },
    sendMessage: (sessionId, content, { policy, clientMessageId } = {}) =>
      request<MessageAccepted>('POST', `${sessionPath(sessionId)}/messages`, {
        content,
        policy,
        clientMessageId: clientMessageId ?? createClientMessageId(),
      }),
    interrupt: async (sessionId) => {
      await request<unknown>('POST', `${sessionPath(sessionId)}/interrupt`, {});
    },
    reset: async (sessionId) => {
      await request<unknown>('POST', `${sessionPath(sessionId)}/reset`, {});
    },
    respondToPermission: async (sessionId, requestId, behavior, message) => {
      await request<unknown>(
        'POST',
        `${sessionPath(sessionId)}/permissions/${encodeURIComponent(requestId)}`,
        message === undefined ? { behavior } : { behavior, message },
      );
    },
    getEvents: (sessionId, { after = 0, limit } = {}) => {
      const query = new URLSearchParams({ after: String(after) });
      if (limit !== undefined) query.set('limit', String(limit));
      return request<EventsPage>('GET', `${sessionPath(sessionId)}/events?${query}`);
    },
    getAllEvents: async (sessionId, { after = 0 } = {}) => {
      const entries: LogEntry[] = [];
      let cursor = after;
      for (;;) {
        const page = await client.getEvents(sessionId, { after: cursor });
        entries.push(...page.entries);
        const last = page.entries.at(-1);
        if (last === undefined || last.seq >= page.lastSeq) return entries;
        cursor = last.seq;
      }
    },
    webSocketUrl: (sessionId, after) => {
      const url = new URL(`${baseUrl}/ws`);
      url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
      url.searchParams.set('session', sessionId);
      url.searchParams.set('after', String(after));
      if (apiKey) url.searchParams.set('token', apiKey);
      return url.toString();
    },
    session: (sessionId) => ({
      id: sessionId,
      connect: (connectOptions) => connectSession(client, sessionId, connectOptions),
      get: () => client.getSession(sessionId),
      delete: () => client.deleteSession(sessionId),
      sendMessage: (content, sendOptions) => client.sendMessage(sessionId, content, sendOptions),
      interrupt: () => client.interrupt(sessionId),
      reset: () => client.reset(sessionId),
      respondToPermission: (requestId, behavior, message) =>
        client.respondToPermission(sessionId, requestId, behavior, message),
      getEvents: (eventOptions) => client.getEvents(sessionId, eventOptions),
      getAllEvents: (eventOptions) => client.getAllEvents(sessionId, eventOptions),
    }),
  };
  return client;
}

function statusCode(status: number): string {
  switch (status) {
    case 400:
      return 'BAD_REQUEST';
    case 401:
      return 'UNAUTHORIZED';
    case 403:
      return 'FORBIDDEN';
    case 404:
      return 'NOT_FOUND';
    case 409:
      return 'SESSION_BUSY';
    case 413:
      return 'PAYLOAD_TOO_LARGE';
    case 429:
      return 'RATE_LIMITED';
    case 503:
      return 'SHUTTING_DOWN';
    default:
      return 'INTERNAL';
  }
}
