import type {
  SDKAssistantMessageError,
  SDKMessage,
  SDKResultMessage,
  TerminalReason,
} from '@anthropic-ai/claude-agent-sdk';

/** How a turn was stopped from outside, when it was. */
export type TurnStop = 'interrupt' | 'abort';

/**
 * The outcome of one turn. Produced for every turn, including failed, interrupted and aborted
 * ones: a turn never "throws" its way out of `querySingle` or a conversation's `send`.
 */
export interface AgentTurnResult {
  /** Every SDK message of the turn, in order. */
  messages: SDKMessage[];
  /** The SDK's `result` message; absent when the turn ended without one (closed, crashed). */
  result: SDKResultMessage | undefined;
  /** The final assistant text of a successful turn. */
  text: string | undefined;
  /**
   * Cost of THIS turn in USD. The SDK's `total_cost_usd` is cumulative per query and a resumed
   * query starts from the total its transcript saved, so conversations subtract the previous
   * total; `querySingle` reports `total_cost_usd` as is (it starts a fresh query).
   */
  costUsd: number;
  /** The SDK's cumulative `total_cost_usd` (0 without a result). */
  totalCostUsd: number;
  /** The SDK's `duration_ms`, or the wall time when there is no result. */
  durationMs: number;
  /** True for API errors, error subtypes (max turns, budget, interrupted, ...) and no result. */
  isError: boolean;
  /** The SDK's `terminal_reason` (`api_error`, `aborted_streaming`, `max_turns`, ...). */
  terminalReason: TerminalReason | undefined;
  /** Human-readable errors: the result's `errors`, the API error text, or what was thrown. */
  errors: string[];
  /** The API error kind the CLI reported on its synthetic assistant message, e.g. `overloaded`. */
  apiError: SDKAssistantMessageError | undefined;
  /** The HTTP status of the final API error, when the CLI reports it. */
  apiErrorStatus: number | undefined;
  /** Whether any tool was called in this turn: such a turn must never be retried blindly. */
  ranTool: boolean;
  /** The Claude session id (from `system/init` or the result). */
  sessionId: string | undefined;
  /** Set when the turn was interrupted or aborted by the caller (timeout, user). */
  stoppedBy: TurnStop | undefined;
  /** What the SDK iterator threw, if it did (spawn failure, abort, crash). */
  failure: unknown;
}

function contentBlocks(message: SDKMessage): Array<{ type: string }> {
  if (message.type !== 'assistant' && message.type !== 'user') return [];
  const content: unknown = message.message.content;
  return Array.isArray(content) ? (content as Array<{ type: string }>) : [];
}

/**
 * Whether the messages show a tool call: a `tool_use` block in an assistant message or a
 * `tool_result` block in a user message. Once a tool may have run, repeating the turn could
 * repeat its side effect.
 */
export function messagesRanTool(messages: readonly SDKMessage[]): boolean {
  return messages.some((message) =>
    contentBlocks(message).some(
      (block) =>
        (message.type === 'assistant' &&
          (block.type === 'tool_use' ||
            block.type === 'server_tool_use' ||
            block.type === 'mcp_tool_use')) ||
        (message.type === 'user' && block.type === 'tool_result'),
    ),
  );
}

function describeFailure(failure: unknown): string {
  if (failure instanceof Error) return failure.message;
  return String(failure);
}

export interface SummarizeTurnContext {
  /** What the SDK iterator threw, if anything. */
  failure?: unknown;
  /** Wall time of the turn, used when there is no result. */
  wallMs?: number;
  /** The cumulative cost before this turn (conversations). */
  previousTotalCostUsd?: number;
  stoppedBy?: TurnStop;
}

/**
 * Condenses a turn's SDK messages into an {@link AgentTurnResult}.
 *
 * @example
 * ```ts
 * const messages = [];
 * for await (const message of query({ prompt, options })) messages.push(message);
 * const turn = summarizeTurn(messages);
 * if (turn.isError) console.error(turn.terminalReason, turn.errors);
 * ```
 */
export function summarizeTurn(
  messages: SDKMessage[],
  context: SummarizeTurnContext = {},
): AgentTurnResult {
  let result: SDKResultMessage | undefined;
  let apiError: SDKAssistantMessageError | undefined;
  let sessionId: string | undefined;
  for (const message of messages) {
    if (message.type === 'result') result = message;
    if (message.type === 'assistant' && message.error !== undefined) apiError = message.error;
    if (message.type === 'system' && message.subtype === 'init') sessionId = message.session_id;
  }
  sessionId = result?.session_id ?? sessionId;

  const errors: string[] = [];
  let text: string | undefined;
  if (result === undefined) {
    errors.push(
      context.failure === undefined
        ? 'the turn ended without a result'
        : describeFailure(context.failure),
    );
  } else if (result.subtype === 'success') {
    if (result.is_error) errors.push(result.result);
    else text = result.result;
  } else {
    errors.push(...result.errors);
    if (errors.length === 0) errors.push(result.subtype);
  }
  const isError = result === undefined || result.is_error || result.subtype !== 'success';
  const totalCostUsd = result?.total_cost_usd ?? 0;
  const apiErrorStatus =
    result?.subtype === 'success' && typeof result.api_error_status === 'number'
      ? result.api_error_status
      : undefined;

  return {
    messages,
    result,
    text,
    costUsd: result ? Math.max(0, totalCostUsd - (context.previousTotalCostUsd ?? 0)) : 0,
    totalCostUsd,
    durationMs: result?.duration_ms ?? context.wallMs ?? 0,
    isError,
    terminalReason: result?.terminal_reason,
    errors,
    apiError: isError ? apiError : undefined,
    apiErrorStatus,
    ranTool: messagesRanTool(messages),
    sessionId,
    stoppedBy: context.stoppedBy,
    failure: context.failure,
  };
}
