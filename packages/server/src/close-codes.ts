/**
 * WebSocket close codes the server uses (4000-4999 are for applications). Documented in
 * docs/protocol.md; clients decide from them whether to reconnect.
 */
export const CLOSE_CODES = {
  /** Server shutting down: reconnect later (to this or another node) and replay. */
  GOING_AWAY: 1001,
  /** A frame over the hard cap (4x the frame limit): `ws` closes before it is buffered. */
  MESSAGE_TOO_BIG: 1009,
  /** The client fell too far behind: reconnect with `after=<last seq>` and replay. */
  SLOW_CONSUMER: 4008,
  /** Bad query parameters (e.g. `after` not a whole number). Do not retry unchanged. */
  BAD_REQUEST: 4400,
  /** The session does not exist for this tenant. Do not retry. */
  SESSION_NOT_FOUND: 4404,
} as const;
