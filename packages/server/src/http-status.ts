import type { ErrorCode } from '@agent-sessions/protocol';

/**
 * The one mapping from a wire error code to an HTTP status. Every HTTP error the server sends
 * goes through {@link httpStatusFor}, so a code means the same status on every route.
 */
const STATUS_BY_CODE: Record<ErrorCode, number> = {
  BAD_REQUEST: 400,
  INVALID_FRAME: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  SESSION_NOT_FOUND: 404,
  NOT_FOUND: 404,
  PERMISSION_NOT_FOUND: 404,
  SESSION_BUSY: 409,
  QUEUE_FULL: 429,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  BUDGET_EXCEEDED: 402,
  AGENT_FAILED: 502,
  TURN_TIMEOUT: 504,
  SHUTTING_DOWN: 503,
  SLOW_CONSUMER: 429,
  INTERNAL: 500,
};

/**
 * The HTTP status for an error code; 500 for a code this server does not know.
 *
 * @example
 * ```ts
 * httpStatusFor('SESSION_BUSY'); // 409
 * ```
 */
export function httpStatusFor(code: string): number {
  return STATUS_BY_CODE[code as ErrorCode] ?? 500;
}
