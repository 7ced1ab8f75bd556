import { AgentSessionsError, type ErrorCode } from '@agent-sessions/protocol';
import type { Logger } from 'pino';
import { httpStatusFor } from './http-status.js';
import { retryAfterMsOf } from './rate-limits.js';

/** Retry-After for a 429 whose cause gives no wait of its own (e.g. QUEUE_FULL). */
const DEFAULT_RETRY_AFTER_MS = 1000;

/** An error ready for the wire: status, `{error, code}` body, and how long to wait when limited. */
export interface WireError {
  status: number;
  body: { error: string; code: ErrorCode };
  retryAfterMs?: number;
}

/**
 * Any thrown value as a wire error. AgentSessionsErrors keep their code and sentence; anything
 * else is logged with its stack and goes out as INTERNAL with no details.
 *
 * @example
 * ```ts
 * const wire = toWireError(error, logger);
 * return context.json(wire.body, wire.status);
 * ```
 */
export function toWireError(error: unknown, logger?: Logger): WireError {
  if (AgentSessionsError.is(error)) {
    const status = httpStatusFor(error.code);
    // Every 429 carries Retry-After (the contract); a full queue has no exact time, so 1 s.
    const retryAfterMs =
      retryAfterMsOf(error) ?? (status === 429 ? DEFAULT_RETRY_AFTER_MS : undefined);
    return {
      status,
      body: error.toJSON(),
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    };
  }
  logger?.error({ err: error }, 'unexpected error');
  return {
    status: 500,
    body: { error: 'An unexpected error occurred; see the server log.', code: 'INTERNAL' },
  };
}
