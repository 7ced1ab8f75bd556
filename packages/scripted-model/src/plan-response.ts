import type { Directives } from './directives.js';
import type { Conversation } from './user-text.js';

/** One content block of a planned assistant message. */
export type PlannedBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> };

/** The assistant message the scripted model answers with, before it is streamed or sent. */
export interface ResponsePlan {
  blocks: PlannedBlock[];
  stopReason: 'end_turn' | 'tool_use';
  usage: { inputTokens: number; outputTokens: number };
}

export interface PlanInput {
  conversation: Conversation;
  directives: Directives;
  /** Characters of the request's prompt (system and messages), for the default estimate. */
  inputChars: number;
  /** Makes a fresh `toolu_...` id. */
  newToolUseId: () => string;
}

/** What `[[recall]]` answers when the conversation has no earlier user text. */
export const nothingToRecall = '(nothing to recall)';

const toolResultPreviewLength = 200;

/**
 * Decides what the model answers, from the directives of the turn's user text and where the
 * turn stands (how many of its tool calls already came back).
 *
 * Precedence: a pending `[[tool]]` call, then the reply to a returned tool result, then
 * `[[reply]]`, then `[[recall]]`, then the echo of the user's text (without its directives).
 *
 * @example
 * ```ts
 * const conversation = readConversation(body.messages);
 * const plan = planResponse({
 *   conversation,
 *   directives: parseDirectives(conversation.userText),
 *   inputChars: 1200,
 *   newToolUseId: () => 'toolu_1',
 * });
 * ```
 */
export function planResponse(input: PlanInput): ResponsePlan {
  const { conversation, directives } = input;
  const nextTool = directives.tools[conversation.toolCallsThisTurn];
  let block: PlannedBlock;
  if (nextTool) {
    block = {
      type: 'tool_use',
      id: input.newToolUseId(),
      name: nextTool.name,
      input: nextTool.input,
    };
  } else if (conversation.toolFollowUp) {
    const { toolName, resultText } = conversation.toolFollowUp;
    const name = toolName ?? directives.tools.at(-1)?.name ?? 'unknown';
    const preview = Array.from(resultText).slice(0, toolResultPreviewLength).join('');
    block = { type: 'text', text: `Tool ${name} done: ${preview}` };
  } else if (directives.reply !== undefined) {
    block = { type: 'text', text: directives.reply };
  } else if (directives.recall) {
    const earlier = conversation.earlierUserTexts;
    block = { type: 'text', text: earlier.length > 0 ? earlier.join(' | ') : nothingToRecall };
  } else {
    block = { type: 'text', text: `Echo: ${directives.remainingText || conversation.userText}` };
  }
  const outputChars =
    block.type === 'text'
      ? block.text.length
      : block.name.length + JSON.stringify(block.input).length;
  return {
    blocks: [block],
    stopReason: block.type === 'tool_use' ? 'tool_use' : 'end_turn',
    usage: directives.tokens
      ? { inputTokens: directives.tokens.input, outputTokens: directives.tokens.output }
      : {
          inputTokens: estimateTokens(input.inputChars),
          outputTokens: estimateTokens(outputChars),
        },
  };
}

/**
 * The default token estimate: a quarter of the characters, at least 1.
 *
 * @example
 * ```ts
 * estimateTokens(10); // 3
 * ```
 */
export function estimateTokens(chars: number): number {
  return Math.max(1, Math.ceil(chars / 4));
}
