import { AgentSessionsError, type ErrorCode } from '@agent-sessions/protocol';
import type { Logger } from 'pino';
import { httpStatusFor } from './http-status.js';
import { retryAfterMsOf } from './rate-limits.js';

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
    const retryAfterMs = retryAfterMsOf(error);
    return {
      status: httpStatusFor(error.code),
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
