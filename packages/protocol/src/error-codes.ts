/**
 * Every stable error code the service puts on the wire (`{error, code}` bodies, `error` frames
 * and `error` log entries). Codes are UPPER_SNAKE and never change meaning once published;
 * new codes may be added, so clients must tolerate codes they do not know.
 *
 * @example
 * ```ts
 * import { ERROR_CODES } from '@agent-sessions/protocol';
 * ERROR_CODES.includes('RATE_LIMITED'); // true
 * ```
 */
export const ERROR_CODES = [
  /** The request or its body is malformed or fails validation. */
  'BAD_REQUEST',
  /** A WebSocket frame is not JSON, has an unknown type or a missing/invalid field. */
  'INVALID_FRAME',
  /** No credentials, or credentials that are not valid. */
  'UNAUTHORIZED',
  /** Valid credentials that may not perform this action. */
  'FORBIDDEN',
  /** The session does not exist for this tenant (other tenants' sessions look the same). */
  'SESSION_NOT_FOUND',
  /** Any other resource or route that does not exist. */
  'NOT_FOUND',
  /** The permission request is unknown or already resolved. */
  'PERMISSION_NOT_FOUND',
  /** A `reject`-policy message arrived while the session was running a turn. */
  'SESSION_BUSY',
  /** The session's inbox holds as many pending messages as it may. */
  'QUEUE_FULL',
  /** A frame or body is over its size limit. */
  'PAYLOAD_TOO_LARGE',
  /** Too many requests; retry later (HTTP sends `Retry-After`). */
  'RATE_LIMITED',
  /** The tenant's or session's spending budget is used up. */
  'BUDGET_EXCEEDED',
  /** The agent (the Claude Agent SDK or its CLI) failed to run the turn. */
  'AGENT_FAILED',
  /** A turn ran longer than the configured limit and was stopped. */
  'TURN_TIMEOUT',
  /** The server is shutting down and accepts no new work. */
  'SHUTTING_DOWN',
  /** A subscriber fell too far behind the live stream and was disconnected. */
  'SLOW_CONSUMER',
  /** An unexpected server fault; the details are in the server log, not on the wire. */
  'INTERNAL',
] as const;

/** One of the stable error codes in {@link ERROR_CODES}. */
export type ErrorCode = (typeof ERROR_CODES)[number];

const errorCodeSet: ReadonlySet<string> = new Set(ERROR_CODES);

/**
 * Whether `value` is one of the error codes this version of the protocol knows.
 *
 * @example
 * ```ts
 * isErrorCode('SESSION_BUSY'); // true
 * isErrorCode('session_busy'); // false
 * ```
 */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && errorCodeSet.has(value);
}
