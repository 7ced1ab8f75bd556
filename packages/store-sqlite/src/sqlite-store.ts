import type {
  CommitInput,
  CommitResult,
  EncodedLogEntry,
  InboxMessage,
  InboxStatus,
  LogEntry,
  NewSession,
  PermissionRecord,
  SessionPatch,
  SessionRecord,
  SessionStatus,
  Store,
  TranscriptEntry,
  TurnRecord,
  Usage,
} from '@agent-sessions/core';
import {
  clampListLimit,
  decodeSessionCursor,
  encodeSessionCursor,
  inboxInsertSeq,
  rememberLogEntryJson,
  StoreError,
  withSeq,
} from '@agent-sessions/core';
import Database, { type Statement } from 'better-sqlite3';
import { migrate } from './migrate.js';

export interface SqliteStoreOptions {
  /** The database file (created if missing), or ':memory:'. */
  path: string;
  /**
   * `FULL` (default): a resolved write survives power loss. `NORMAL`: it survives a crash of
   * the process but the last transactions may be lost on power loss (WAL is not synced on
   * every commit). Group commit makes either cheap per write.
   */
  synchronous?: 'FULL' | 'NORMAL';
  /** How long a write waits for another process's lock (default 5000 ms). */
  busyTimeoutMs?: number;
}

/** Counters of the group-commit machinery, for tests and metrics. */
export interface SqliteStoreStats {
  /** Transactions committed by the write queue. */
  transactions: number;
  /** Writes (commits, session and transcript writes) that went through the queue. */
  writes: number;
  /** Writes refused inside their savepoint (their neighbours were not affected). */
  failedWrites: number;
  /** The most writes one transaction carried. */
  largestBatch: number;
  /** Batches rolled back and re-run with a savepoint per write because one write failed. */
  rolledBackBatches: number;
}

/** The connection settings in force, read back from SQLite. */
export interface SqliteSettings {
  journalMode: string;
  synchronous: 'OFF' | 'NORMAL' | 'FULL' | 'EXTRA';
  foreignKeys: boolean;
  busyTimeoutMs: number;
}

export interface SqliteStore extends Store {
  readonly path: string;
  stats(): SqliteStoreStats;
  settings(): SqliteSettings;
}

/** The token columns `sessions` and `turns` share. */
interface UsageColumns {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
}

interface SessionRow extends UsageColumns {
  id: string;
  tenant_id: string;
  title: string | null;
  options: string;
  status: string;
  sdk_session_id: string | null;
  sdk_started: number;
  created_at: number;
  updated_at: number;
  last_active_at: number;
  last_seq: number;
  turn_count: number;
  message_count: number;
  cost_usd: number;
}

interface MessageRow {
  id: string;
  session_id: string;
  client_message_id: string | null;
  content: string;
  policy: string;
  status: string;
  seq: number;
  created_at: number;
  started_at: number | null;
  ended_at: number | null;
  reason: string | null;
}

interface PermissionRow {
  request_id: string;
  session_id: string;
  message_id: string | null;
  tool_name: string;
  input: string;
  status: string;
  message: string | null;
  created_at: number;
  resolved_at: number | null;
}

interface TurnRow extends UsageColumns {
  session_id: string;
  message_id: string;
  outcome: string;
  cost_usd: number;
  duration_ms: number;
  ended_at: number;
}

function toUsage(row: UsageColumns): Usage {
  return {
    inputTokens: row.input_tokens,
    outputTokens: row.output_tokens,
    cacheReadInputTokens: row.cache_read_input_tokens,
    cacheCreationInputTokens: row.cache_creation_input_tokens,
  };
}

function toSession(row: SessionRow): SessionRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    title: row.title,
    options: JSON.parse(row.options) as Record<string, unknown>,
    status: row.status as SessionStatus,
    sdkSessionId: row.sdk_session_id,
    sdkStarted: row.sdk_started === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lastActiveAt: row.last_active_at,
    lastSeq: row.last_seq,
    turnCount: row.turn_count,
    messageCount: row.message_count,
    usage: toUsage(row),
    costUsd: row.cost_usd,
  };
}

function toMessage(row: MessageRow): InboxMessage {
  return {
    id: row.id,
    sessionId: row.session_id,
    clientMessageId: row.client_message_id,
    content: JSON.parse(row.content) as unknown,
    policy: row.policy as InboxMessage['policy'],
    status: row.status as InboxStatus,
    seq: row.seq,
    createdAt: row.created_at,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    reason: row.reason,
  };
}

function toPermission(row: PermissionRow): PermissionRecord {
  return {
    requestId: row.request_id,
    sessionId: row.session_id,
    messageId: row.message_id,
    toolName: row.tool_name,
    input: JSON.parse(row.input) as unknown,
    status: row.status as PermissionRecord['status'],
    message: row.message,
    createdAt: row.created_at,
    resolvedAt: row.resolved_at,
  };
}

function toTurn(row: TurnRow): TurnRecord {
  return {
    messageId: row.message_id,
    sessionId: row.session_id,
    outcome: row.outcome as TurnRecord['outcome'],
    costUsd: row.cost_usd,
    durationMs: row.duration_ms,
    usage: toUsage(row),
    endedAt: row.ended_at,
  };
}

/** JSON text for a column; `undefined` (which JSON cannot hold) is stored as null. */
function json(value: unknown): string {
  return JSON.stringify(value) ?? 'null';
}

function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** A stored row decoded into the entry `readLog` returns; its text is remembered for the wire. */
function toEntry(seq: number, data: string): LogEntry {
  const text = withSeq(data, seq);
  const entry = JSON.parse(text) as LogEntry;
  rememberLogEntryJson(entry, text);
  return entry;
}

/**
 * A session's row as the current batch sees it: the first commit of the session in a batch
 * advances the row itself (and learns `lastSeq`); later ones in the same batch only count here,
 * and the row is written once before COMMIT.
 */
interface BatchHead {
  lastSeq: number;
  tenantId: string;
  /** Seqs handed out after the row was last written. */
  pending: number;
  /** A later commit touched the session: `updated_at` must be written again. */
  touched: boolean;
}

interface Job {
  run: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * The {@link Store} on SQLite (better-sqlite3, WAL), the embedded default.
 *
 * Group commit: every write (commits, session and transcript writes) joins a queue that is
 * flushed once per event-loop turn as ONE transaction, each write in its own SAVEPOINT, so a
 * refused write rolls back alone. Promises resolve only after the COMMIT, so nothing is
 * reported (or published) before it is durable. better-sqlite3 is synchronous, so reads never
 * see a transaction in progress.
 *
 * @example
 * ```ts
 * const store = createSqliteStore({ path: 'data/agent-sessions.db' });
 * await store.createSession({ id: 's1', tenantId: 't1' });
 * await store.commit('s1', { entries: [{ type: 'session.status', status: 'idle' }] });
 * await store.close();
 * ```
 */
export function createSqliteStore(options: SqliteStoreOptions): SqliteStore {
  const db = new Database(options.path);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.synchronous === 'NORMAL' ? 'NORMAL' : 'FULL'}`);
  db.pragma('foreign_keys = ON');
  db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5_000))}`);
  try {
    migrate(db);
  } catch (error) {
    db.close();
    throw error;
  }

  const statements = {
    begin: db.prepare('BEGIN IMMEDIATE'),
    commit: db.prepare('COMMIT'),
    rollback: db.prepare('ROLLBACK'),
    savepoint: db.prepare('SAVEPOINT write'),
    release: db.prepare('RELEASE write'),
    rollbackTo: db.prepare('ROLLBACK TO write'),

    insertSession: db.prepare(`INSERT INTO sessions
      (id, tenant_id, title, options, status, created_at, updated_at, last_active_at)
      VALUES (@id, @tenantId, @title, @options, 'idle', @now, @now, @now)`),
    getSession: db.prepare('SELECT * FROM sessions WHERE id = ?'),
    // The hot path of a commit reads and writes only these narrow columns.
    // One statement both checks the session and reserves the commit's seqs.
    advanceSession: db.prepare(`UPDATE sessions SET last_seq = last_seq + ?, updated_at = ?
      WHERE id = ? RETURNING last_seq, tenant_id`),
    // Later commits of the same session in one batch: one write of the row per batch.
    settleSession: db.prepare(`UPDATE sessions SET last_seq = last_seq + ?, updated_at = ?
      WHERE id = ?`),
    addMessages: db.prepare('UPDATE sessions SET message_count = message_count + ? WHERE id = ?'),
    addTurn: db.prepare(`UPDATE sessions SET turn_count = turn_count + 1,
      cost_usd = cost_usd + @costUsd, input_tokens = input_tokens + @inputTokens,
      output_tokens = output_tokens + @outputTokens,
      cache_read_input_tokens = cache_read_input_tokens + @cacheReadInputTokens,
      cache_creation_input_tokens = cache_creation_input_tokens + @cacheCreationInputTokens
      WHERE id = @sessionId`),
    listFirstPage: db.prepare(`SELECT * FROM sessions WHERE tenant_id = ?
      ORDER BY created_at DESC, id DESC LIMIT ?`),
    listNextPage: db.prepare(`SELECT * FROM sessions WHERE tenant_id = @tenantId
      AND (created_at < @createdAt OR (created_at = @createdAt AND id < @id))
      ORDER BY created_at DESC, id DESC LIMIT @limit`),
    listOpen: db.prepare("SELECT * FROM sessions WHERE status <> 'closed' ORDER BY created_at, id"),
    listInactive: db
      .prepare(
        'SELECT id FROM sessions WHERE last_active_at < ? ORDER BY last_active_at, id LIMIT ?',
      )
      .pluck(),
    deleteSession: db.prepare('DELETE FROM sessions WHERE id = ?'),

    insertEntry: db.prepare(
      'INSERT INTO log_entries (session_id, seq, type, data) VALUES (?, ?, ?, ?)',
    ),
    readLog: db.prepare(
      'SELECT seq, data FROM log_entries WHERE session_id = ? AND seq > ? ORDER BY seq LIMIT ?',
    ),
    lastSeq: db.prepare('SELECT last_seq FROM sessions WHERE id = ?').pluck(),

    insertMessage: db.prepare(`INSERT INTO inbox_messages
      (id, session_id, client_message_id, content, policy, status, seq, created_at)
      VALUES (@id, @sessionId, @clientMessageId, @content, @policy, 'queued', @seq, @createdAt)`),
    getMessage: db.prepare('SELECT * FROM inbox_messages WHERE id = ?'),
    getSessionMessage: db.prepare('SELECT * FROM inbox_messages WHERE id = ? AND session_id = ?'),
    findByClientId: db.prepare(
      'SELECT * FROM inbox_messages WHERE session_id = ? AND client_message_id = ?',
    ),
    listMessages: db.prepare(`SELECT * FROM inbox_messages WHERE session_id = ?
      AND status IN (SELECT value FROM json_each(?)) ORDER BY seq, id`),
    updateMessage: db.prepare(`UPDATE inbox_messages SET status = @status,
      started_at = @startedAt, ended_at = @endedAt, reason = @reason WHERE id = @id`),

    insertPermission: db.prepare(`INSERT INTO permissions
      (request_id, session_id, message_id, tool_name, input, status, created_at)
      VALUES (@requestId, @sessionId, @messageId, @toolName, @input, 'pending', @createdAt)`),
    getPermission: db.prepare('SELECT * FROM permissions WHERE request_id = ?'),
    resolvePermission: db.prepare(`UPDATE permissions SET status = @status, message = @message,
      resolved_at = @resolvedAt WHERE request_id = @requestId`),
    listPending: db.prepare(`SELECT * FROM permissions WHERE session_id = ? AND status = 'pending'
      ORDER BY created_at, rowid`),

    insertTurn: db.prepare(`INSERT INTO turns (session_id, tenant_id, message_id, outcome,
      cost_usd, duration_ms, input_tokens, output_tokens, cache_read_input_tokens,
      cache_creation_input_tokens, ended_at) VALUES (@sessionId, @tenantId, @messageId,
      @outcome, @costUsd, @durationMs, @inputTokens, @outputTokens, @cacheReadInputTokens,
      @cacheCreationInputTokens, @endedAt)`),
    listTurns: db.prepare('SELECT * FROM turns WHERE session_id = ? ORDER BY id'),
    insertUsage: db.prepare(`INSERT INTO tenant_usage (tenant_id, session_id, cost_usd, ended_at)
      VALUES (?, ?, ?, ?)`),
    tenantCost: db
      .prepare(
        'SELECT COALESCE(SUM(cost_usd), 0) FROM tenant_usage WHERE tenant_id = ? AND ended_at >= ?',
      )
      .pluck(),
    recordSdkId: db.prepare(`INSERT INTO session_sdk_ids (session_id, sdk_session_id)
      VALUES (?, ?) ON CONFLICT DO NOTHING`),
    listSdkIds: db
      .prepare('SELECT sdk_session_id FROM session_sdk_ids WHERE session_id = ?')
      .pluck(),

    insertTranscript: db.prepare(`INSERT INTO transcript_entries (session_id, subpath, uuid, data)
      VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`),
    loadTranscript: db
      .prepare(
        'SELECT data FROM transcript_entries WHERE session_id = ? AND subpath = ? ORDER BY id',
      )
      .pluck(),
    listSubpaths: db
      .prepare(`SELECT DISTINCT subpath FROM transcript_entries
        WHERE session_id = ? AND subpath <> '' ORDER BY subpath`)
      .pluck(),
    deleteTranscript: db.prepare('DELETE FROM transcript_entries WHERE session_id = ?'),
    deleteTranscriptSubpath: db.prepare(
      'DELETE FROM transcript_entries WHERE session_id = ? AND subpath = ?',
    ),
  };

  const stats: SqliteStoreStats = {
    transactions: 0,
    writes: 0,
    failedWrites: 0,
    largestBatch: 0,
    rolledBackBatches: 0,
  };
  let queue: Job[] = [];
  // The session heads of the batch in progress (empty between batches).
  const batchHeads = new Map<string, BatchHead>();
  let flushScheduled = false;
  let closed = false;

  function assertOpen(): void {
    if (closed) throw new StoreError('STORE_CLOSED', 'The store is closed.');
  }

  type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

  /**
   * Runs `jobs` in one transaction. Without savepoints (the fast path: two statements fewer
   * per write) a failing job rolls everything back and the result is null; with savepoints a
   * failing job rolls back alone. Throws when the transaction itself fails. `committed` is
   * false when nothing was committed (a lone job that failed).
   */
  function runBatch(
    jobs: Job[],
    savepoints: boolean,
  ): { outcomes: Outcome[]; committed: boolean } | null {
    const outcomes: Outcome[] = [];
    batchHeads.clear();
    statements.begin.run();
    try {
      for (const job of jobs) {
        if (!savepoints) {
          try {
            outcomes.push({ ok: true, value: job.run() });
          } catch (error) {
            statements.rollback.run();
            batchHeads.clear();
            if (jobs.length === 1) return { outcomes: [{ ok: false, error }], committed: false };
            return null;
          }
          continue;
        }
        statements.savepoint.run();
        try {
          const value = job.run();
          statements.release.run();
          outcomes.push({ ok: true, value });
        } catch (error) {
          statements.rollbackTo.run();
          statements.release.run();
          outcomes.push({ ok: false, error });
        }
      }
      settleHeads();
      statements.commit.run();
      return { outcomes, committed: true };
    } catch (error) {
      if (db.inTransaction) statements.rollback.run();
      throw error;
    } finally {
      batchHeads.clear();
    }
  }

  /** Writes the session rows that later commits of this batch advanced only in memory. */
  function settleHeads(): void {
    const now = Date.now();
    for (const [sessionId, head] of batchHeads) {
      if (head.touched) statements.settleSession.run(head.pending, now, sessionId);
    }
  }

  /**
   * Runs every queued write in one transaction. Refused writes are rare, so the batch first
   * runs without savepoints; only if one write fails is it rolled back and run again with a
   * savepoint per write (the jobs only read and write the database, so a re-run is safe).
   */
  function flush(): void {
    flushScheduled = false;
    const jobs = queue;
    queue = [];
    if (jobs.length === 0) return;
    let batch: { outcomes: Outcome[]; committed: boolean } | null;
    try {
      batch = runBatch(jobs, false);
      if (!batch) {
        stats.rolledBackBatches += 1;
        batch = runBatch(jobs, true);
      }
    } catch (error) {
      // The transaction itself failed (disk full, lock timeout...): nothing was written.
      for (const job of jobs) job.reject(error);
      return;
    }
    if (!batch) return;
    const { outcomes } = batch;
    if (batch.committed) stats.transactions += 1;
    stats.writes += jobs.length;
    stats.largestBatch = Math.max(stats.largestBatch, jobs.length);
    for (const [index, job] of jobs.entries()) {
      const outcome = outcomes[index]!;
      if (outcome.ok) {
        job.resolve(outcome.value);
      } else {
        stats.failedWrites += 1;
        job.reject(outcome.error);
      }
    }
  }

  function enqueue<T>(run: () => T): Promise<T> {
    if (closed) return Promise.reject(new StoreError('STORE_CLOSED', 'The store is closed.'));
    return new Promise<T>((resolve, reject) => {
      queue.push({ run, resolve: resolve as (value: unknown) => void, reject });
      if (!flushScheduled) {
        flushScheduled = true;
        // setImmediate, not a microtask: every write issued during this turn of the event
        // loop (also from other promise chains) joins the same transaction.
        setImmediate(flush);
      }
    });
  }

  const patchColumns: Record<keyof SessionPatch, string> = {
    status: 'status',
    title: 'title',
    sdkSessionId: 'sdk_session_id',
    sdkStarted: 'sdk_started',
    lastActiveAt: 'last_active_at',
    options: 'options',
  };
  // One prepared UPDATE per combination of patched fields (there are few in practice).
  const patchStatements = new Map<string, Statement>();

  function applyPatch(sessionId: string, patch: SessionPatch): void {
    const fields = (Object.keys(patchColumns) as Array<keyof SessionPatch>).filter(
      (field) => patch[field] !== undefined,
    );
    if (fields.length === 0) return;
    const key = fields.join(',');
    let statement = patchStatements.get(key);
    if (!statement) {
      const assignments = fields.map((field) => `${patchColumns[field]} = @${field}`).join(', ');
      statement = db.prepare(`UPDATE sessions SET ${assignments} WHERE id = @id`);
      patchStatements.set(key, statement);
    }
    const values: Record<string, unknown> = { id: sessionId };
    for (const field of fields) {
      const value = patch[field];
      values[field] =
        field === 'options' ? json(value) : typeof value === 'boolean' ? (value ? 1 : 0) : value;
    }
    statement.run(values);
  }

  function conflict<T>(message: string, run: () => T): T {
    try {
      return run();
    } catch (error) {
      if (isUniqueViolation(error)) throw new StoreError('CONFLICT', message, { cause: error });
      throw error;
    }
  }

  /** The body of one commit, inside its savepoint. */
  function applyCommit(sessionId: string, input: CommitInput): CommitResult {
    if (input.dedupeClientMessageId !== undefined) {
      const existing = statements.findByClientId.get(sessionId, input.dedupeClientMessageId) as
        | MessageRow
        | undefined;
      if (existing) return { entries: [], duplicate: toMessage(existing) };
    }
    const count = input.entries.length;
    const known = batchHeads.get(sessionId);
    let lastSeq: number;
    let tenantId: string;
    if (known) {
      lastSeq = known.lastSeq;
      tenantId = known.tenantId;
    } else {
      const row = statements.advanceSession.get(count, Date.now(), sessionId) as
        | { last_seq: number; tenant_id: string }
        | undefined;
      if (!row) throw new StoreError('SESSION_NOT_FOUND', `No session ${sessionId}.`);
      // The seq before this commit; the UPDATE above already counted its entries.
      lastSeq = row.last_seq - count;
      tenantId = row.tenant_id;
    }
    const entries: LogEntry[] = [];
    for (const [index, entry] of input.entries.entries()) {
      const seq = lastSeq + index + 1;
      const data = json(entry);
      statements.insertEntry.run(sessionId, seq, entry.type, data);
      entries.push(toEntry(seq, data));
    }

    for (const mutation of input.mutations ?? []) {
      switch (mutation.kind) {
        case 'inbox.insert': {
          const { message } = mutation;
          conflict(`Message ${message.id} or its client id exists.`, () =>
            statements.insertMessage.run({
              id: message.id,
              sessionId,
              clientMessageId: message.clientMessageId ?? null,
              content: json(message.content),
              policy: message.policy,
              seq: inboxInsertSeq(message.id, entries, lastSeq),
              createdAt: message.createdAt,
            }),
          );
          statements.addMessages.run(1, sessionId);
          break;
        }
        case 'inbox.update': {
          const current = statements.getSessionMessage.get(mutation.messageId, sessionId) as
            | MessageRow
            | undefined;
          if (!current) {
            throw new StoreError('MESSAGE_NOT_FOUND', `No message ${mutation.messageId}.`);
          }
          statements.updateMessage.run({
            id: current.id,
            status: mutation.status,
            startedAt: mutation.status === 'started' ? mutation.at : current.started_at,
            endedAt:
              mutation.status === 'completed' || mutation.status === 'cancelled'
                ? mutation.at
                : current.ended_at,
            reason: mutation.reason === undefined ? current.reason : mutation.reason,
          });
          break;
        }
        case 'permission.insert': {
          const { permission } = mutation;
          conflict(`Permission ${permission.requestId} exists.`, () =>
            statements.insertPermission.run({
              requestId: permission.requestId,
              sessionId,
              messageId: permission.messageId ?? null,
              toolName: permission.toolName,
              input: json(permission.input),
              createdAt: permission.createdAt,
            }),
          );
          break;
        }
        case 'permission.resolve': {
          const current = statements.getPermission.get(mutation.requestId) as
            | PermissionRow
            | undefined;
          if (!current || current.session_id !== sessionId) {
            throw new StoreError('PERMISSION_NOT_FOUND', `No permission ${mutation.requestId}.`);
          }
          if (current.status !== 'pending') {
            throw new StoreError('CONFLICT', `Permission ${mutation.requestId} is resolved.`);
          }
          statements.resolvePermission.run({
            requestId: mutation.requestId,
            status: mutation.behavior,
            message: mutation.message ?? null,
            resolvedAt: mutation.at,
          });
          break;
        }
        case 'turn.record': {
          const { turn } = mutation;
          const tokens = {
            sessionId,
            costUsd: turn.costUsd,
            inputTokens: turn.usage.inputTokens,
            outputTokens: turn.usage.outputTokens,
            cacheReadInputTokens: turn.usage.cacheReadInputTokens,
            cacheCreationInputTokens: turn.usage.cacheCreationInputTokens,
          };
          statements.insertTurn.run({
            ...tokens,
            tenantId,
            messageId: turn.messageId,
            outcome: turn.outcome,
            costUsd: turn.costUsd,
            durationMs: turn.durationMs,
            endedAt: turn.endedAt,
          });
          statements.addTurn.run(tokens);
          statements.insertUsage.run(tenantId, sessionId, turn.costUsd, turn.endedAt);
          break;
        }
        case 'session.update': {
          applyPatch(sessionId, mutation.patch);
          if (mutation.patch.sdkSessionId) {
            statements.recordSdkId.run(sessionId, mutation.patch.sdkSessionId);
          }
          break;
        }
        default: {
          const unknown: never = mutation;
          throw new StoreError('CONFLICT', `Unknown mutation ${JSON.stringify(unknown)}.`);
        }
      }
    }

    // Only now that nothing can throw: a refused commit (rolled back to its savepoint) must
    // leave the batch's view of the session as it was.
    if (known) {
      known.lastSeq += count;
      known.pending += count;
      known.touched = true;
    } else {
      batchHeads.set(sessionId, { lastSeq: lastSeq + count, tenantId, pending: 0, touched: false });
    }
    return { entries };
  }

  /** Reads run synchronously; wrapping them keeps `closed` errors as rejections. */
  async function read<T>(run: () => T): Promise<T> {
    assertOpen();
    return run();
  }

  return {
    path: options.path,

    stats: () => ({ ...stats }),

    settings() {
      assertOpen();
      const synchronousModes = ['OFF', 'NORMAL', 'FULL', 'EXTRA'] as const;
      return {
        journalMode: String(db.pragma('journal_mode', { simple: true })),
        synchronous: synchronousModes[Number(db.pragma('synchronous', { simple: true }))] ?? 'OFF',
        foreignKeys: db.pragma('foreign_keys', { simple: true }) === 1,
        busyTimeoutMs: Number(db.pragma('busy_timeout', { simple: true })),
      };
    },

    createSession(input: NewSession) {
      return enqueue(() => {
        const now = input.now ?? Date.now();
        try {
          statements.insertSession.run({
            id: input.id,
            tenantId: input.tenantId,
            title: input.title ?? null,
            options: json(input.options ?? {}),
            now,
          });
        } catch (error) {
          if (isUniqueViolation(error)) {
            throw new StoreError('SESSION_EXISTS', `Session ${input.id} exists.`, {
              cause: error,
            });
          }
          throw error;
        }
        return toSession(statements.getSession.get(input.id) as SessionRow);
      });
    },

    getSession: (id) =>
      read(() => {
        const row = statements.getSession.get(id) as SessionRow | undefined;
        return row ? toSession(row) : null;
      }),

    listSessions: (listOptions) =>
      read(() => {
        const limit = clampListLimit(listOptions.limit);
        const cursor = decodeSessionCursor(listOptions.cursor);
        const rows = (
          cursor
            ? statements.listNextPage.all({
                tenantId: listOptions.tenantId,
                createdAt: cursor.createdAt,
                id: cursor.id,
                limit: limit + 1,
              })
            : statements.listFirstPage.all(listOptions.tenantId, limit + 1)
        ) as SessionRow[];
        const items = rows.slice(0, limit).map(toSession);
        const last = items.at(-1);
        return {
          items,
          nextCursor:
            rows.length > limit && last ? encodeSessionCursor(last.createdAt, last.id) : null,
        };
      }),

    listOpenSessions: () => read(() => (statements.listOpen.all() as SessionRow[]).map(toSession)),

    deleteSession(id) {
      return enqueue(() => {
        const row = statements.getSession.get(id) as SessionRow | undefined;
        if (!row) return false;
        const sdkSessionIds = new Set(statements.listSdkIds.all(id) as string[]);
        if (row.sdk_session_id) sdkSessionIds.add(row.sdk_session_id);
        statements.deleteSession.run(id);
        statements.deleteTranscript.run(id);
        for (const sdkSessionId of sdkSessionIds) statements.deleteTranscript.run(sdkSessionId);
        // Last: if a statement above threw, the row comes back with its savepoint, and so must
        // the batch's view of it. A commit later in this batch must find the session gone.
        batchHeads.delete(id);
        return true;
      });
    },

    listSessionsInactiveSince: (before, limit) =>
      read(() => statements.listInactive.all(before, limit ?? -1) as string[]),

    commit(sessionId, input) {
      return enqueue(() => applyCommit(sessionId, input));
    },

    readLog: (sessionId, readOptions = {}) =>
      read(() => {
        const rows = statements.readLog.all(
          sessionId,
          Math.max(0, readOptions.after ?? 0),
          readOptions.limit === undefined ? -1 : Math.max(0, readOptions.limit),
        ) as Array<{ seq: number; data: string }>;
        return rows.map((row) => toEntry(row.seq, row.data));
      }),

    readLogJson: (sessionId, readOptions = {}) =>
      read(() => {
        const rows = statements.readLog.all(
          sessionId,
          Math.max(0, readOptions.after ?? 0),
          readOptions.limit === undefined ? -1 : Math.max(0, readOptions.limit),
        ) as Array<{ seq: number; data: string }>;
        return rows.map(
          (row): EncodedLogEntry => ({ seq: row.seq, json: withSeq(row.data, row.seq) }),
        );
      }),

    lastSeq: (sessionId) =>
      read(() => (statements.lastSeq.get(sessionId) as number | undefined) ?? 0),

    getMessage: (messageId) =>
      read(() => {
        const row = statements.getMessage.get(messageId) as MessageRow | undefined;
        return row ? toMessage(row) : null;
      }),

    findMessageByClientId: (sessionId, clientMessageId) =>
      read(() => {
        const row = statements.findByClientId.get(sessionId, clientMessageId) as
          | MessageRow
          | undefined;
        return row ? toMessage(row) : null;
      }),

    listMessages: (sessionId, status) =>
      read(() =>
        (
          statements.listMessages.all(
            sessionId,
            JSON.stringify(Array.isArray(status) ? status : [status]),
          ) as MessageRow[]
        ).map(toMessage),
      ),

    getPermission: (requestId) =>
      read(() => {
        const row = statements.getPermission.get(requestId) as PermissionRow | undefined;
        return row ? toPermission(row) : null;
      }),

    listPendingPermissions: (sessionId) =>
      read(() => (statements.listPending.all(sessionId) as PermissionRow[]).map(toPermission)),

    listTurns: (sessionId) =>
      read(() => (statements.listTurns.all(sessionId) as TurnRow[]).map(toTurn)),

    tenantCostSince: (tenantId, since) =>
      read(() => statements.tenantCost.get(tenantId, since) as number),

    appendTranscript(sessionId, subpath, entries) {
      if (entries.length === 0) return read(() => undefined);
      return enqueue(() => {
        for (const entry of entries) {
          const uuid = typeof entry.uuid === 'string' ? entry.uuid : null;
          statements.insertTranscript.run(sessionId, subpath, uuid, json(entry));
        }
      });
    },

    loadTranscript: (sessionId, subpath) =>
      read(() => {
        const rows = statements.loadTranscript.all(sessionId, subpath) as string[];
        return rows.length === 0 ? null : rows.map((data) => JSON.parse(data) as TranscriptEntry);
      }),

    listTranscriptSubpaths: (sessionId) =>
      read(() => statements.listSubpaths.all(sessionId) as string[]),

    deleteTranscript(sessionId, subpath) {
      return enqueue(() => {
        if (subpath === undefined) statements.deleteTranscript.run(sessionId);
        else statements.deleteTranscriptSubpath.run(sessionId, subpath);
      });
    },

    async close() {
      if (closed) return;
      // Writes already accepted still commit: flush them before closing.
      flush();
      closed = true;
      db.close();
    },
  };
}
