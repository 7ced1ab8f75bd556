/**
 * The `Store` seam: everything agent-sessions must not lose.
 *
 * One interface, an in-memory reference implementation (`createMemoryStore`), and one
 * backend per package (`@agent-sessions/store-sqlite`, later PostgreSQL). Every implementation
 * runs the shared conformance suite in `@agent-sessions/conformance`.
 *
 * Design rules every implementation follows:
 * - All methods are async (remote backends), and every write is durable when its promise
 *   resolves. Nothing may be published to a `Bus` before that.
 * - A log entry's `seq` is assigned by the store: per session, from 1, strictly +1, with no gap,
 *   even under concurrent writers.
 * - `commit()` is the one write path for the event log: it appends entries and applies the
 *   state changes that go with them (inbox lifecycle, permissions, turn usage, session fields)
 *   in ONE transaction, so the log and the state never disagree after a crash.
 * - Implementations may batch concurrent commits into one transaction (group commit); each
 *   caller still gets its own result, and a failing commit must not fail its neighbours.
 */

/** A log entry as stored and delivered: the entry's own fields plus its `seq`. */
export interface LogEntry {
  seq: number;
  type: string;
  [field: string]: unknown;
}

/**
 * A stored log entry as JSON text, `seq` included: exactly `JSON.stringify` of the
 * {@link LogEntry} that `readLog` returns for it, so a server can send it without parsing and
 * re-encoding it.
 */
export interface EncodedLogEntry {
  seq: number;
  json: string;
}

/** An entry before the store has given it a `seq`. */
export interface NewLogEntry {
  type: string;
  [field: string]: unknown;
}

export type SessionStatus = 'idle' | 'running' | 'waiting_permission' | 'hibernated' | 'closed';

export type MessagePolicy = 'enqueue' | 'interrupt' | 'reject';

export type InboxStatus = 'queued' | 'started' | 'completed' | 'cancelled';

/** Token usage, summed per turn and per session. */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
  cacheReadInputTokens: number;
  cacheCreationInputTokens: number;
}

export interface SessionRecord {
  id: string;
  tenantId: string;
  title: string | null;
  /** Per-session agent options (model, system prompt append, permission mode, ...), as JSON. */
  options: Record<string, unknown>;
  status: SessionStatus;
  /**
   * The Claude Agent SDK session id when it differs from `id` (a pre-warmed spare picks its
   * own); null when the SDK uses `id` itself. Cleared by a reset.
   */
  sdkSessionId: string | null;
  /** True once the SDK conversation has at least one completed turn (so the next start resumes). */
  sdkStarted: boolean;
  createdAt: number;
  updatedAt: number;
  lastActiveAt: number;
  lastSeq: number;
  turnCount: number;
  messageCount: number;
  usage: Usage;
  costUsd: number;
}

export interface NewSession {
  id: string;
  tenantId: string;
  title?: string | null;
  options?: Record<string, unknown>;
  /** Defaults to Date.now(); injectable for retention tests. */
  now?: number;
}

/** Fields a commit may change on the session row. */
export interface SessionPatch {
  status?: SessionStatus;
  title?: string | null;
  sdkSessionId?: string | null;
  sdkStarted?: boolean;
  lastActiveAt?: number;
  options?: Record<string, unknown>;
}

export interface InboxMessage {
  id: string;
  sessionId: string;
  clientMessageId: string | null;
  /** A non-empty string or an array of Messages API content blocks. */
  content: unknown;
  policy: MessagePolicy;
  status: InboxStatus;
  /** `seq` of the `message.queued` entry. */
  seq: number;
  createdAt: number;
  startedAt: number | null;
  endedAt: number | null;
  /** Why it was cancelled, or how its turn ended. */
  reason: string | null;
}

export interface PermissionRecord {
  requestId: string;
  sessionId: string;
  messageId: string | null;
  toolName: string;
  input: unknown;
  status: 'pending' | 'allow' | 'deny';
  message: string | null;
  createdAt: number;
  resolvedAt: number | null;
}

export interface TurnRecord {
  messageId: string;
  sessionId: string;
  outcome: 'success' | 'error' | 'interrupted';
  /** This turn's own cost, never the SDK's cumulative `total_cost_usd`. */
  costUsd: number;
  durationMs: number;
  usage: Usage;
  endedAt: number;
}

/** State changes applied in the same transaction as a commit's entries. */
export type StoreMutation =
  | {
      kind: 'inbox.insert';
      message: Omit<
        InboxMessage,
        'seq' | 'status' | 'startedAt' | 'endedAt' | 'reason' | 'sessionId'
      >;
    }
  | {
      kind: 'inbox.update';
      messageId: string;
      status: InboxStatus;
      at: number;
      reason?: string | null;
    }
  | {
      kind: 'permission.insert';
      permission: Omit<PermissionRecord, 'status' | 'message' | 'resolvedAt' | 'sessionId'>;
    }
  | {
      kind: 'permission.resolve';
      requestId: string;
      behavior: 'allow' | 'deny';
      message?: string | null;
      at: number;
    }
  /** Records a finished turn and adds its usage and cost to the session totals. */
  | { kind: 'turn.record'; turn: Omit<TurnRecord, 'sessionId'> }
  | { kind: 'session.update'; patch: SessionPatch };

export interface CommitInput {
  entries: NewLogEntry[];
  mutations?: StoreMutation[];
  /**
   * Idempotency: when set and an inbox message with this `clientMessageId` already exists in
   * the session, nothing is written and the existing message is returned as `duplicate`.
   * Checked inside the transaction, so two racing resends still queue once.
   */
  dedupeClientMessageId?: string;
}

export interface CommitResult {
  /** The committed entries with their seq, in order. Empty for a duplicate. */
  entries: LogEntry[];
  /** Set when `dedupeClientMessageId` matched an existing message. */
  duplicate?: InboxMessage;
}

export interface ReadOptions {
  /** Entries with `seq > after` (default 0). */
  after?: number;
  /** At most this many (default: all). */
  limit?: number;
}

export interface ListOptions {
  tenantId: string;
  /** Opaque cursor from a previous page. */
  cursor?: string | null;
  /** Default 50, at most 500. */
  limit?: number;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * One entry of the SDK transcript, as the SDK's `sessionStore` option hands it over.
 * `uuid` (when present) is an idempotency key: appending the same uuid twice stores it once.
 */
export interface TranscriptEntry {
  uuid?: string;
  [field: string]: unknown;
}

export interface Store {
  // Sessions
  /** Rejects with `StoreError` `SESSION_EXISTS` when the id is taken. Status starts `idle`. */
  createSession(input: NewSession): Promise<SessionRecord>;
  getSession(id: string): Promise<SessionRecord | null>;
  /** A tenant's sessions, newest first (by `createdAt`, then `id`), cursor-paginated. */
  listSessions(options: ListOptions): Promise<Page<SessionRecord>>;
  /** Sessions whose status is not `closed`, for crash recovery on start. */
  listOpenSessions(): Promise<SessionRecord[]>;
  /**
   * Removes the session and everything that belongs to it (log, inbox, permissions, turns, and
   * the transcripts stored under its `id` and under EVERY `sdkSessionId` it ever had, so the
   * conversations before a reset go too). False if unknown. The tenant's usage ledger is kept:
   * `tenantCostSince` still counts the deleted session's turns.
   */
  deleteSession(id: string): Promise<boolean>;
  /** Ids of sessions whose `lastActiveAt` is older than `before` (retention), oldest first. */
  listSessionsInactiveSince(before: number, limit?: number): Promise<string[]>;

  // The event log (the one write path)
  /**
   * Appends `entries` (seq assigned here) and applies `mutations` in order, in one
   * transaction; also sets the session's `lastSeq` and `updatedAt`. Rejects with a
   * `StoreError` (`SESSION_NOT_FOUND`, `MESSAGE_NOT_FOUND`, `PERMISSION_NOT_FOUND`, `CONFLICT`)
   * and changes nothing when the session is unknown or a mutation cannot apply.
   *
   * Mutation rules: `inbox.insert` takes the seq of this commit's `message.queued` entry with
   * the same `messageId` (else the commit's first entry, else the session's `lastSeq`) and
   * adds 1 to `messageCount`; `inbox.update` sets `startedAt` for `started` and `endedAt` for
   * `completed`/`cancelled`; `permission.resolve` on an already resolved request is a
   * `CONFLICT`; `turn.record` adds usage and cost to the session and 1 to `turnCount`.
   * Entries must be JSON-safe: they are stored and returned as JSON.
   */
  commit(sessionId: string, input: CommitInput): Promise<CommitResult>;
  /** Entries in seq order; an unknown session reads as empty. */
  readLog(sessionId: string, options?: ReadOptions): Promise<LogEntry[]>;
  /**
   * Optional fast path for replay: the same entries as {@link Store.readLog}, each as its JSON
   * text (`json === JSON.stringify(readLogEntry)`), read without building objects. Stores
   * that keep entries as JSON text implement it; callers fall back to `readLog`.
   */
  readLogJson?(sessionId: string, options?: ReadOptions): Promise<EncodedLogEntry[]>;
  /** Highest committed seq, 0 for an empty log. */
  lastSeq(sessionId: string): Promise<number>;

  // Inbox
  getMessage(messageId: string): Promise<InboxMessage | null>;
  findMessageByClientId(sessionId: string, clientMessageId: string): Promise<InboxMessage | null>;
  /** Messages in a status, oldest first (by seq). */
  listMessages(sessionId: string, status: InboxStatus | InboxStatus[]): Promise<InboxMessage[]>;

  // Permissions
  getPermission(requestId: string): Promise<PermissionRecord | null>;
  /** Pending requests, oldest first. */
  listPendingPermissions(sessionId: string): Promise<PermissionRecord[]>;

  // Usage
  /** Turns in the order they were recorded. */
  listTurns(sessionId: string): Promise<TurnRecord[]>;
  /**
   * Sum of turn cost for a tenant since `since` (ms epoch): daily budgets. Read from an
   * append-only ledger that outlives `deleteSession`, so deleting sessions never frees budget.
   */
  tenantCostSince(tenantId: string, since: number): Promise<number>;

  // SDK transcript (backs the SDK `sessionStore` adapter; keyed by the SDK session id, which
  // is OUR session id unless `sdkSessionId` says otherwise). `subpath` '' is the main
  // transcript. Transcripts do not require a session row: the SDK may write before one exists.
  /** Appends in order; an entry whose `uuid` is already stored under this key is skipped. */
  appendTranscript(sessionId: string, subpath: string, entries: TranscriptEntry[]): Promise<void>;
  /** Entries in append order, or null when nothing was ever stored under this key. */
  loadTranscript(sessionId: string, subpath: string): Promise<TranscriptEntry[] | null>;
  /** The non-empty subpaths (subagent transcripts) stored for the session. */
  listTranscriptSubpaths(sessionId: string): Promise<string[]>;
  /** Deletes one subpath, or with no `subpath` the main transcript and every subpath. */
  deleteTranscript(sessionId: string, subpath?: string): Promise<void>;

  close(): Promise<void>;
}
