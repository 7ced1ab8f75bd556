import type {
  CommitInput,
  CommitResult,
  InboxMessage,
  InboxStatus,
  ListOptions,
  LogEntry,
  NewSession,
  Page,
  PermissionRecord,
  ReadOptions,
  SessionRecord,
  Store,
  StoreMutation,
  TranscriptEntry,
  TurnRecord,
  Usage,
} from './store.js';
import { StoreError } from './store-error.js';
import {
  clampListLimit,
  decodeSessionCursor,
  encodeSessionCursor,
  inboxInsertSeq,
} from './store-support.js';

/**
 * JSON round trip, not structuredClone: the durable stores keep JSON columns, so the reference
 * implementation drops `undefined` and turns Dates into strings exactly as they do.
 */
function clone<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

interface TranscriptKey {
  entries: TranscriptEntry[];
  uuids: Set<string>;
}

interface SessionData {
  record: SessionRecord;
  log: LogEntry[];
  /** Message ids in seq order. */
  messageIds: string[];
  clientMessageIds: Map<string, string>;
  permissionIds: string[];
  turns: TurnRecord[];
  /** Every SDK session id this session ever used (a reset picks a new one). */
  sdkSessionIds: Set<string>;
}

/** One row of the per-tenant usage ledger: outlives the session it came from. */
interface LedgerRow {
  tenantId: string;
  costUsd: number;
  endedAt: number;
}

function emptyUsage(): Usage {
  return { inputTokens: 0, outputTokens: 0, cacheReadInputTokens: 0, cacheCreationInputTokens: 0 };
}

function compareNewestFirst(a: SessionRecord, b: SessionRecord): number {
  if (a.createdAt !== b.createdAt) return b.createdAt - a.createdAt;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/**
 * The in-memory reference implementation of {@link Store}: the semantics every durable store
 * must match (the conformance suite runs against it first). Everything is cloned on the way in
 * and out, so callers can never change stored state by mutating an object; a commit validates
 * everything before it changes anything, so a refused commit leaves no trace.
 *
 * @example
 * ```ts
 * const store = createMemoryStore();
 * await store.createSession({ id: 's1', tenantId: 't1' });
 * const { entries } = await store.commit('s1', { entries: [{ type: 'session.status', status: 'idle' }] });
 * entries[0].seq; // 1
 * ```
 */
export function createMemoryStore(): Store {
  const sessions = new Map<string, SessionData>();
  const messages = new Map<string, InboxMessage>();
  const permissions = new Map<string, PermissionRecord>();
  const transcripts = new Map<string, Map<string, TranscriptKey>>();
  // Budgets count what a tenant spent, also in sessions deleted since: append-only.
  const ledger: LedgerRow[] = [];
  let closed = false;

  function assertOpen(): void {
    if (closed) throw new StoreError('STORE_CLOSED', 'The store is closed.');
  }

  function deleteTranscripts(sessionId: string, subpath?: string): void {
    if (subpath === undefined) {
      transcripts.delete(sessionId);
      return;
    }
    const keys = transcripts.get(sessionId);
    keys?.delete(subpath);
    if (keys?.size === 0) transcripts.delete(sessionId);
  }

  /**
   * Applies a commit on staged copies, so nothing is visible (or changed) unless every
   * mutation applies: the "transaction" of this store.
   */
  function applyCommit(sessionId: string, input: CommitInput): CommitResult {
    const data = sessions.get(sessionId);
    if (!data) throw new StoreError('SESSION_NOT_FOUND', `No session ${sessionId}.`);
    if (input.dedupeClientMessageId !== undefined) {
      const existingId = data.clientMessageIds.get(input.dedupeClientMessageId);
      const existing = existingId === undefined ? undefined : messages.get(existingId);
      if (existing) return { entries: [], duplicate: clone(existing) };
    }

    const record: SessionRecord = { ...data.record, usage: { ...data.record.usage } };
    const entries: LogEntry[] = input.entries.map((entry, index) => ({
      ...clone(entry),
      seq: record.lastSeq + index + 1,
    }));
    const stagedMessages = new Map<string, InboxMessage>();
    const newMessageIds: string[] = [];
    const stagedPermissions = new Map<string, PermissionRecord>();
    const newPermissionIds: string[] = [];
    const newTurns: TurnRecord[] = [];

    const findMessage = (id: string): InboxMessage | undefined => {
      const staged = stagedMessages.get(id);
      if (staged) return staged;
      const stored = messages.get(id);
      return stored?.sessionId === sessionId ? { ...stored } : undefined;
    };
    const findPermission = (id: string): PermissionRecord | undefined => {
      const staged = stagedPermissions.get(id);
      if (staged) return staged;
      const stored = permissions.get(id);
      return stored?.sessionId === sessionId ? { ...stored } : undefined;
    };

    for (const mutation of (input.mutations ?? []) as StoreMutation[]) {
      switch (mutation.kind) {
        case 'inbox.insert': {
          const { message } = mutation;
          const clientId = message.clientMessageId;
          const clientTaken =
            clientId !== null &&
            (data.clientMessageIds.has(clientId) ||
              [...stagedMessages.values()].some((m) => m.clientMessageId === clientId));
          if (messages.has(message.id) || stagedMessages.has(message.id) || clientTaken) {
            throw new StoreError('CONFLICT', `Message ${message.id} or its client id exists.`);
          }
          stagedMessages.set(message.id, {
            id: message.id,
            sessionId,
            clientMessageId: clientId ?? null,
            content: clone(message.content),
            policy: message.policy,
            status: 'queued',
            seq: inboxInsertSeq(message.id, entries, record.lastSeq),
            createdAt: message.createdAt,
            startedAt: null,
            endedAt: null,
            reason: null,
          });
          newMessageIds.push(message.id);
          record.messageCount += 1;
          break;
        }
        case 'inbox.update': {
          const message = findMessage(mutation.messageId);
          if (!message) {
            throw new StoreError('MESSAGE_NOT_FOUND', `No message ${mutation.messageId}.`);
          }
          message.status = mutation.status;
          if (mutation.status === 'started') message.startedAt = mutation.at;
          if (mutation.status === 'completed' || mutation.status === 'cancelled') {
            message.endedAt = mutation.at;
          }
          if (mutation.reason !== undefined) message.reason = mutation.reason;
          stagedMessages.set(message.id, message);
          break;
        }
        case 'permission.insert': {
          const { permission } = mutation;
          if (
            permissions.has(permission.requestId) ||
            stagedPermissions.has(permission.requestId)
          ) {
            throw new StoreError('CONFLICT', `Permission ${permission.requestId} exists.`);
          }
          stagedPermissions.set(permission.requestId, {
            requestId: permission.requestId,
            sessionId,
            messageId: permission.messageId ?? null,
            toolName: permission.toolName,
            input: clone(permission.input),
            status: 'pending',
            message: null,
            createdAt: permission.createdAt,
            resolvedAt: null,
          });
          newPermissionIds.push(permission.requestId);
          break;
        }
        case 'permission.resolve': {
          const permission = findPermission(mutation.requestId);
          if (!permission) {
            throw new StoreError('PERMISSION_NOT_FOUND', `No permission ${mutation.requestId}.`);
          }
          if (permission.status !== 'pending') {
            throw new StoreError('CONFLICT', `Permission ${mutation.requestId} is resolved.`);
          }
          permission.status = mutation.behavior;
          permission.message = mutation.message ?? null;
          permission.resolvedAt = mutation.at;
          stagedPermissions.set(permission.requestId, permission);
          break;
        }
        case 'turn.record': {
          const turn: TurnRecord = { ...clone(mutation.turn), sessionId };
          newTurns.push(turn);
          record.turnCount += 1;
          record.costUsd += turn.costUsd;
          record.usage.inputTokens += turn.usage.inputTokens;
          record.usage.outputTokens += turn.usage.outputTokens;
          record.usage.cacheReadInputTokens += turn.usage.cacheReadInputTokens;
          record.usage.cacheCreationInputTokens += turn.usage.cacheCreationInputTokens;
          break;
        }
        case 'session.update': {
          const patch = clone(mutation.patch);
          if (patch.status !== undefined) record.status = patch.status;
          if (patch.title !== undefined) record.title = patch.title;
          if (patch.sdkSessionId !== undefined) record.sdkSessionId = patch.sdkSessionId;
          if (patch.sdkStarted !== undefined) record.sdkStarted = patch.sdkStarted;
          if (patch.lastActiveAt !== undefined) record.lastActiveAt = patch.lastActiveAt;
          if (patch.options !== undefined) record.options = patch.options;
          break;
        }
        default: {
          const unknown: never = mutation;
          throw new StoreError('CONFLICT', `Unknown mutation ${JSON.stringify(unknown)}.`);
        }
      }
    }

    // Everything applied: publish the staged state in one synchronous step.
    if (record.sdkSessionId) data.sdkSessionIds.add(record.sdkSessionId);
    for (const turn of newTurns) {
      ledger.push({ tenantId: record.tenantId, costUsd: turn.costUsd, endedAt: turn.endedAt });
    }
    record.lastSeq += entries.length;
    record.updatedAt = Date.now();
    data.record = record;
    data.log.push(...entries);
    for (const message of stagedMessages.values()) {
      messages.set(message.id, message);
      if (message.clientMessageId !== null) {
        data.clientMessageIds.set(message.clientMessageId, message.id);
      }
    }
    data.messageIds.push(...newMessageIds);
    for (const permission of stagedPermissions.values()) {
      permissions.set(permission.requestId, permission);
    }
    data.permissionIds.push(...newPermissionIds);
    data.turns.push(...newTurns);
    return { entries: clone(entries) };
  }

  return {
    async createSession(input: NewSession): Promise<SessionRecord> {
      assertOpen();
      if (sessions.has(input.id)) {
        throw new StoreError('SESSION_EXISTS', `Session ${input.id} exists.`);
      }
      const now = input.now ?? Date.now();
      const record: SessionRecord = {
        id: input.id,
        tenantId: input.tenantId,
        title: input.title ?? null,
        options: clone(input.options ?? {}),
        status: 'idle',
        sdkSessionId: null,
        sdkStarted: false,
        createdAt: now,
        updatedAt: now,
        lastActiveAt: now,
        lastSeq: 0,
        turnCount: 0,
        messageCount: 0,
        usage: emptyUsage(),
        costUsd: 0,
      };
      sessions.set(input.id, {
        record,
        log: [],
        messageIds: [],
        clientMessageIds: new Map(),
        permissionIds: [],
        turns: [],
        sdkSessionIds: new Set(),
      });
      return clone(record);
    },

    async getSession(id) {
      assertOpen();
      const data = sessions.get(id);
      return data ? clone(data.record) : null;
    },

    async listSessions(options: ListOptions): Promise<Page<SessionRecord>> {
      assertOpen();
      const limit = clampListLimit(options.limit);
      const cursor = decodeSessionCursor(options.cursor);
      const all = [...sessions.values()]
        .map((data) => data.record)
        .filter((record) => record.tenantId === options.tenantId)
        .filter(
          (record) =>
            !cursor ||
            record.createdAt < cursor.createdAt ||
            (record.createdAt === cursor.createdAt && record.id < cursor.id),
        )
        .sort(compareNewestFirst);
      const items = all.slice(0, limit);
      const last = items.at(-1);
      return {
        items: clone(items),
        nextCursor:
          all.length > limit && last ? encodeSessionCursor(last.createdAt, last.id) : null,
      };
    },

    async listOpenSessions() {
      assertOpen();
      return clone(
        [...sessions.values()]
          .map((data) => data.record)
          .filter((record) => record.status !== 'closed')
          .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1)),
      );
    },

    async deleteSession(id) {
      assertOpen();
      const data = sessions.get(id);
      if (!data) return false;
      for (const messageId of data.messageIds) messages.delete(messageId);
      for (const requestId of data.permissionIds) permissions.delete(requestId);
      deleteTranscripts(id);
      for (const sdkSessionId of data.sdkSessionIds) deleteTranscripts(sdkSessionId);
      sessions.delete(id);
      return true;
    },

    async listSessionsInactiveSince(before, limit) {
      assertOpen();
      const ids = [...sessions.values()]
        .map((data) => data.record)
        .filter((record) => record.lastActiveAt < before)
        .sort((a, b) => a.lastActiveAt - b.lastActiveAt || (a.id < b.id ? -1 : 1))
        .map((record) => record.id);
      return limit === undefined ? ids : ids.slice(0, limit);
    },

    async commit(sessionId, input) {
      assertOpen();
      return applyCommit(sessionId, input);
    },

    async readLog(sessionId, options: ReadOptions = {}) {
      assertOpen();
      const log = sessions.get(sessionId)?.log ?? [];
      const after = Math.max(0, options.after ?? 0);
      // seq n sits at index n - 1: the log has no gap.
      const end = options.limit === undefined ? log.length : after + Math.max(0, options.limit);
      return clone(log.slice(after, end));
    },

    async readLogJson(sessionId, options: ReadOptions = {}) {
      assertOpen();
      const log = sessions.get(sessionId)?.log ?? [];
      const after = Math.max(0, options.after ?? 0);
      const end = options.limit === undefined ? log.length : after + Math.max(0, options.limit);
      // Stored entries are already JSON-normalized (cloned at commit): their text is the wire text.
      return log
        .slice(after, end)
        .map((entry) => ({ seq: entry.seq, json: JSON.stringify(entry) }));
    },

    async lastSeq(sessionId) {
      assertOpen();
      return sessions.get(sessionId)?.record.lastSeq ?? 0;
    },

    async getMessage(messageId) {
      assertOpen();
      const message = messages.get(messageId);
      return message ? clone(message) : null;
    },

    async findMessageByClientId(sessionId, clientMessageId) {
      assertOpen();
      const id = sessions.get(sessionId)?.clientMessageIds.get(clientMessageId);
      const message = id === undefined ? undefined : messages.get(id);
      return message ? clone(message) : null;
    },

    async listMessages(sessionId, status: InboxStatus | InboxStatus[]) {
      assertOpen();
      const wanted = new Set(Array.isArray(status) ? status : [status]);
      const ids = sessions.get(sessionId)?.messageIds ?? [];
      return clone(
        ids
          .map((id) => messages.get(id))
          .filter((message): message is InboxMessage => !!message && wanted.has(message.status))
          .sort((a, b) => a.seq - b.seq),
      );
    },

    async getPermission(requestId) {
      assertOpen();
      const permission = permissions.get(requestId);
      return permission ? clone(permission) : null;
    },

    async listPendingPermissions(sessionId) {
      assertOpen();
      const ids = sessions.get(sessionId)?.permissionIds ?? [];
      return clone(
        ids
          .map((id) => permissions.get(id))
          .filter((permission): permission is PermissionRecord => permission?.status === 'pending'),
      );
    },

    async listTurns(sessionId) {
      assertOpen();
      return clone(sessions.get(sessionId)?.turns ?? []);
    },

    async tenantCostSince(tenantId, since) {
      assertOpen();
      let total = 0;
      for (const row of ledger) {
        if (row.tenantId === tenantId && row.endedAt >= since) total += row.costUsd;
      }
      return total;
    },

    async appendTranscript(sessionId, subpath, entries) {
      assertOpen();
      if (entries.length === 0) return;
      let keys = transcripts.get(sessionId);
      if (!keys) {
        keys = new Map();
        transcripts.set(sessionId, keys);
      }
      let key = keys.get(subpath);
      if (!key) {
        key = { entries: [], uuids: new Set() };
        keys.set(subpath, key);
      }
      for (const entry of entries) {
        if (typeof entry.uuid === 'string') {
          if (key.uuids.has(entry.uuid)) continue;
          key.uuids.add(entry.uuid);
        }
        key.entries.push(clone(entry));
      }
    },

    async loadTranscript(sessionId, subpath) {
      assertOpen();
      const key = transcripts.get(sessionId)?.get(subpath);
      return key ? clone(key.entries) : null;
    },

    async listTranscriptSubpaths(sessionId) {
      assertOpen();
      return [...(transcripts.get(sessionId)?.keys() ?? [])].filter((subpath) => subpath !== '');
    },

    async deleteTranscript(sessionId, subpath) {
      assertOpen();
      deleteTranscripts(sessionId, subpath);
    },

    async close() {
      closed = true;
    },
  };
}
