/** The tool result a request carries in its last user message. */
export interface ToolFollowUp {
  /** The tool's name, taken from the matching `tool_use` block of the history. */
  toolName: string | undefined;
  /** The text of the result (text blocks joined); images and other blocks are skipped. */
  resultText: string;
}

/** What the scripted model needs to know about a request's `messages`. */
export interface Conversation {
  /**
   * The user's text of this turn: the last user message that has text once system reminders
   * are removed. In a tool follow-up the last user message carries only the `tool_result`, so
   * the turn's text (and its directives) sits in an earlier message.
   */
  userText: string;
  /** Index in `messages` of the message holding `userText`; -1 when no user message has text. */
  turnMessageIndex: number;
  /** How many user messages come before the turn's message (identifies the turn). */
  turnOrdinal: number;
  /** Every earlier user text, oldest first, skipping messages without text. */
  earlierUserTexts: string[];
  /** Set when the last user message carries a `tool_result`. */
  toolFollowUp: ToolFollowUp | undefined;
  /** How many assistant messages with a `tool_use` follow the turn's message. */
  toolCallsThisTurn: number;
  /** The text of the very first user message (the fallback session key). */
  firstUserText: string;
}

type Block = Record<string, unknown>;

const systemReminder = /<system-reminder>[\s\S]*?<\/system-reminder>/g;
// After an interrupt the CLI adds this marker as its own text block, merged into the next
// user message: like a system reminder it is the CLI's text, not the user's.
const interruptMarker = /^\[Request interrupted by user( for tool use)?\]$/;

/**
 * Removes every `<system-reminder>...</system-reminder>` block the CLI injects and trims.
 *
 * @example
 * ```ts
 * stripSystemReminders('<system-reminder>x</system-reminder>\nhello'); // 'hello'
 * ```
 */
export function stripSystemReminders(text: string): string {
  return text.replace(systemReminder, '').trim();
}

/**
 * The user's text of one message: its text blocks (or string content) with system reminders
 * removed, joined by newlines and trimmed. `tool_result` and other blocks contribute nothing,
 * nor do blocks holding only the CLI's `[Request interrupted by user]` marker.
 *
 * @example
 * ```ts
 * messageText({ role: 'user', content: [{ type: 'text', text: 'hi' }] }); // 'hi'
 * ```
 */
export function messageText(message: unknown): string {
  const content = asRecord(message)?.content;
  if (typeof content === 'string') return userPart(content);
  if (!Array.isArray(content)) return '';
  const parts: string[] = [];
  for (const block of content) {
    const record = asRecord(block);
    if (record?.type !== 'text' || typeof record.text !== 'string') continue;
    const text = userPart(record.text);
    if (text) parts.push(text);
  }
  return parts.join('\n').trim();
}

function userPart(text: string): string {
  const stripped = stripSystemReminders(text);
  return interruptMarker.test(stripped) ? '' : stripped;
}

/**
 * Reads a Messages API `messages` array the way the directives need it. Entries with another
 * role than `user` or `assistant` (the CLI sends `role: "system"` ones) are ignored.
 *
 * @example
 * ```ts
 * const conversation = readConversation(body.messages);
 * parseDirectives(conversation.userText);
 * ```
 */
export function readConversation(messages: readonly unknown[]): Conversation {
  const userIndexes: number[] = [];
  messages.forEach((message, index) => {
    if (asRecord(message)?.role === 'user') userIndexes.push(index);
  });
  const texts = new Map<number, string>();
  for (const index of userIndexes) texts.set(index, messageText(messages[index]));

  let turnMessageIndex = -1;
  for (let position = userIndexes.length - 1; position >= 0; position--) {
    const index = userIndexes[position]!;
    if (texts.get(index)) {
      turnMessageIndex = index;
      break;
    }
  }
  const earlierUserTexts = userIndexes
    .filter((index) => (turnMessageIndex === -1 ? false : index < turnMessageIndex))
    .map((index) => texts.get(index) ?? '')
    .filter((text) => text !== '');

  let toolCallsThisTurn = 0;
  for (let index = turnMessageIndex + 1; index < messages.length; index++) {
    const message = asRecord(messages[index]);
    if (message?.role === 'assistant' && blocksOf(message).some((b) => b.type === 'tool_use')) {
      toolCallsThisTurn++;
    }
  }

  const lastUserIndex = userIndexes.at(-1);
  const toolFollowUp =
    lastUserIndex === undefined ? undefined : readToolFollowUp(messages, lastUserIndex);

  return {
    userText: turnMessageIndex === -1 ? '' : (texts.get(turnMessageIndex) ?? ''),
    turnMessageIndex,
    turnOrdinal: userIndexes.filter((index) => index < turnMessageIndex).length,
    earlierUserTexts,
    toolFollowUp,
    toolCallsThisTurn,
    firstUserText: userIndexes[0] === undefined ? '' : (texts.get(userIndexes[0]) ?? ''),
  };
}

function readToolFollowUp(
  messages: readonly unknown[],
  lastUserIndex: number,
): ToolFollowUp | undefined {
  const results = blocksOf(messages[lastUserIndex]).filter((b) => b.type === 'tool_result');
  if (results.length === 0) return undefined;
  const toolUses = new Map<string, string>();
  for (const message of messages.slice(0, lastUserIndex)) {
    if (asRecord(message)?.role !== 'assistant') continue;
    for (const block of blocksOf(message)) {
      if (block.type === 'tool_use' && typeof block.id === 'string') {
        toolUses.set(block.id, typeof block.name === 'string' ? block.name : '');
      }
    }
  }
  // We only ever issue one tool_use per response; prefer the result that answers a known call.
  const result =
    results.find((b) => typeof b.tool_use_id === 'string' && toolUses.has(b.tool_use_id)) ??
    results[0]!;
  const toolName =
    typeof result.tool_use_id === 'string' ? toolUses.get(result.tool_use_id) : undefined;
  return { toolName: toolName || undefined, resultText: toolResultText(result.content) };
}

function toolResultText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map(asRecord)
    .filter((block) => block?.type === 'text' && typeof block.text === 'string')
    .map((block) => block!.text as string)
    .join('\n');
}

function blocksOf(message: unknown): Block[] {
  const content = asRecord(message)?.content;
  if (!Array.isArray(content)) return [];
  return content.map(asRecord).filter((block): block is Block => block !== undefined);
}

function asRecord(value: unknown): Block | undefined {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Block) : undefined;
}
