import { AgentSessionsError, type ErrorCode } from '@agent-sessions/protocol';

/** The stable error codes the engine throws (a subset of the protocol's). */
export type EngineErrorCode = Extract<
  ErrorCode,
  | 'SESSION_NOT_FOUND'
  | 'SESSION_BUSY'
  | 'QUEUE_FULL'
  | 'PERMISSION_NOT_FOUND'
  | 'AGENT_FAILED'
  | 'TURN_TIMEOUT'
  | 'SHUTTING_DOWN'
  | 'BAD_REQUEST'
>;

/** Builds the `AgentSessionsError` the engine throws for `code`. */
export function createEngineError(
  code: EngineErrorCode,
  message: string,
  cause?: unknown,
): AgentSessionsError {
  return new AgentSessionsError(code, message, cause === undefined ? {} : { cause });
}
