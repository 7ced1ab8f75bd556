import type { SessionRecord } from '@agent-sessions/core';
import type { Session } from '@agent-sessions/protocol';

/**
 * The public session object for a stored session: ISO timestamps, no tenant or SDK ids.
 *
 * @example
 * ```ts
 * return context.json(toWireSession(record), 201);
 * ```
 */
export function toWireSession(record: SessionRecord): Session {
  return {
    id: record.id,
    title: record.title,
    status: record.status,
    createdAt: new Date(record.createdAt).toISOString(),
    updatedAt: new Date(record.updatedAt).toISOString(),
    lastActiveAt: new Date(record.lastActiveAt).toISOString(),
    lastSeq: record.lastSeq,
    turnCount: record.turnCount,
    messageCount: record.messageCount,
    usage: record.usage,
    costUsd: record.costUsd,
    options: record.options as Session['options'],
  };
}
