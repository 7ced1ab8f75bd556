/**
 * The session engine: runners (one long-lived streaming-input CLI process per active session),
 * the bounded pool of live runners with hibernation, crash recovery, and the SessionService
 * that servers and the CLI call.
 *
 * @example
 * ```ts
 * import { createMemoryBus, createMemoryStore, createSessionService } from '@agent-sessions/core';
 * const service = createSessionService({
 *   store: createMemoryStore(), bus: createMemoryBus(), workspaceRoot: './data/workspaces',
 *   agent: { env }, maxLive: 4, hibernateAfterMs: 600_000,
 * });
 * await service.start();
 * ```
 *
 * @packageDocumentation
 */
export type { RecoveryOptions, RecoveryReport } from './crash-recovery.js';
export { recoverSessions } from './crash-recovery.js';
export type { EngineErrorCode } from './engine-error.js';
export { createEngineError } from './engine-error.js';
export type { EngineLogger } from './engine-logger.js';
export { silentLogger } from './engine-logger.js';
export type { LiveStreamEvent } from './live-stream.js';
export { isLiveStreamEvent, streamTopic } from './live-stream.js';
export type {
  EventLogAppender,
  PermissionAnswer,
  Runner,
  RunnerOptions,
  TurnOutcome,
  TurnRefusal,
} from './runner.js';
export { createRunner, turnCostDelta } from './runner.js';
export type { AcquireOptions, RunnerPool, RunnerPoolOptions } from './runner-pool.js';
export { createRunnerPool } from './runner-pool.js';
export type { AgentDefaults, SessionAgentOptions } from './sdk-options.js';
export { buildSdkOptions, parseSessionAgentOptions } from './sdk-options.js';
export type {
  BeforeTurnContext,
  CreateSessionInput,
  SendMessageInput,
  SendMessageResult,
  SessionService,
  SessionServiceOptions,
} from './session-service.js';
export { createSessionService } from './session-service.js';
