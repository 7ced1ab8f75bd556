export type { AnthropicErrorBody } from './anthropic-error.js';
export { anthropicError, errorTypeForStatus } from './anthropic-error.js';
export type {
  RecordedRequest,
  RequestOutcome,
  RequestSummary,
  ScriptedModel,
  ScriptedModelOptions,
} from './create-scripted-model.js';
export { createScriptedModel } from './create-scripted-model.js';
export type { Directives, ErrorDirective, ToolDirective } from './directives.js';
export { parseDirectives } from './directives.js';
export type { Conversation, ToolFollowUp } from './user-text.js';
export { messageText, readConversation, stripSystemReminders } from './user-text.js';
