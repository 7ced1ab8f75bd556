export type {
  AgentClient,
  AgentClientDefaults,
  PromptInput,
  TurnOptions,
} from './agent-client.js';
export { createAgentClient, DEFAULT_ALLOWED_TOOLS } from './agent-client.js';
export type {
  AgentConversation,
  ConversationOptions,
  ResumeConversationDeps,
} from './agent-conversation.js';
export { createResumeConversation } from './agent-conversation.js';
export type { AgentEnvironmentOptions, OfflineEnvironmentOptions } from './agent-environment.js';
export {
  AGENT_CREDENTIAL_VARIABLES,
  AGENT_ENVIRONMENT_ALLOWLIST,
  createAgentEnvironment,
  createOfflineEnvironment,
  OFFLINE_API_KEY,
} from './agent-environment.js';
export type { AgentStream } from './agent-stream.js';
export { openAgentStream, userMessage } from './agent-stream.js';
export type { AgentTurn, AgentTurnHooks } from './agent-turn.js';
export { startAgentTurn } from './agent-turn.js';
export type { InputQueue } from './input-queue.js';
export { createInputQueue } from './input-queue.js';
export type { LiveConversation, LiveConversationDeps } from './live-conversation.js';
export { createLiveConversation } from './live-conversation.js';
export type { AgentQueryOptions } from './merge-agent-options.js';
export { mergeAgentOptions } from './merge-agent-options.js';
export type { AgentTurnResult, SummarizeTurnContext, TurnStop } from './summarize-turn.js';
export { messagesRanTool, summarizeTurn } from './summarize-turn.js';
export type { RetryableOutcome, RetryFailure, RetryOptions } from './with-retry.js';
export {
  errorRanNoTool,
  isTransientError,
  isTransientFailure,
  isTransientResult,
  retryDelayMs,
  withRetry,
} from './with-retry.js';
export type { StoppableTurn, WithTimeoutOptions } from './with-timeout.js';
export { TURN_TIMEOUT, TurnTimeoutError, withTimeout } from './with-timeout.js';
