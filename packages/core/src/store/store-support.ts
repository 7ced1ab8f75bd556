// Small rules every Store implementation shares, so the memory, SQLite and later PostgreSQL
// stores cannot drift apart on cursors, page sizes or which seq an inbox message takes.
import type { LogEntry } from './store.js';

/** Default and maximum page size of `listSessions`. */
export const DEFAULT_LIST_LIMIT = 50;
export const MAX_LIST_LIMIT = 500;

/** Encodes a `listSessions` cursor: the last item's (createdAt, id). Shared by every store. */
export function encodeSessionCursor(createdAt: number, id: string): string {
  return Buffer.from(JSON.stringify([createdAt, id])).toString('base64url');
}

/** Decodes a `listSessions` cursor; null for a missing or malformed one. */
export function decodeSessionCursor(
  cursor: string | null | undefined,
): { createdAt: number; id: string } | null {
  if (!cursor) return null;
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (
      Array.isArray(value) &&
      typeof value[0] === 'number' &&
      typeof value[1] === 'string' &&
      value.length === 2
    ) {
      return { createdAt: value[0], id: value[1] };
    }
  } catch {
    // A malformed cursor reads as "from the start"; it carries no authority.
  }
  return null;
}

/** Clamps a requested page size to 1..MAX_LIST_LIMIT. */
export function clampListLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return DEFAULT_LIST_LIMIT;
  return Math.min(MAX_LIST_LIMIT, Math.max(1, Math.floor(limit)));
}

/** The seq an `inbox.insert` takes: its `message.queued` entry, else the first, else lastSeq. */
export function inboxInsertSeq(
  messageId: string,
  entries: readonly LogEntry[],
  lastSeq: number,
): number {
  const queued = entries.find(
    (entry) => entry.type === 'message.queued' && entry.messageId === messageId,
  );
  return queued?.seq ?? entries[0]?.seq ?? lastSeq;
}
