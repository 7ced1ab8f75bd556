import type {
  Content,
  LogEntry,
  MessagePolicy,
  PermissionBehavior,
  SessionStatus,
  TurnOutcome,
} from '@agent-sessions/protocol';

/** Token counts, summed per turn or per session. */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadInputTokens: number;
  cacheCreationInputTokens: number;
}

/** A tool the agent called during a turn, with its input and (once known) its result. */
export interface ToolCall {
  /** The `tool_use` block id. */
  id: string;
  name: string;
  input: unknown;
  /** `running` until its `tool_result` arrives; `waiting_permission` while a request is open. */
  status: 'running' | 'waiting_permission' | 'done' | 'error';
  /** The result as text (blocks joined), or null while running. */
  result: string | null;
  isError: boolean;
  /** The permission request attached to this call, if the agent had to ask. */
  permission: { requestId: string; behavior: PermissionBehavior | null } | null;
}

/** One piece of an assistant reply, in the order the agent produced it. */
export type TurnPart = { kind: 'text'; text: string } | { kind: 'tool'; toolCallId: string };

/** An error recorded in the log (`error` entries). */
export interface ConversationError {
  seq: number;
  error: string;
  code: string;
}

/** One user message and everything the agent did to answer it. */
export interface ConversationTurn {
  messageId: string;
  clientMessageId: string | null;
  /** What the user sent, as sent. */
  content: Content | null;
  /** The user's text (text blocks joined). */
  userText: string;
  /** Seq of the `message.started` entry. */
  startedSeq: number;
  /** How many `session.reset` entries came before this turn (a new epoch is a fresh conversation). */
  epoch: number;
  parts: TurnPart[];
  toolCalls: ToolCall[];
  /** All assistant text of the turn, joined by blank lines. */
  text: string;
  /** Text streamed by token-level events that no assistant entry has confirmed yet. */
  streamingText: string;
  /** Whether the start of the block being streamed was seen (deltas count only then). */
  streamingBlock: boolean;
  outcome: TurnOutcome | 'running';
  /** This turn's own cost (from `turn.ended`), null while running. */
  costUsd: number | null;
  durationMs: number | null;
  usage: TokenUsage | null;
  errors: ConversationError[];
}

/** A user message the server accepted that has not started yet. */
export interface QueuedMessage {
  messageId: string;
  clientMessageId: string | null;
  content: Content;
  userText: string;
  policy: MessagePolicy;
  seq: number;
}

/** A permission request waiting for an answer. */
export interface PendingPermission {
  requestId: string;
  toolName: string;
  input: Record<string, unknown>;
  seq: number;
  /** The turn that asked, if any. */
  messageId: string | null;
}

/** The conversation as a UI shows it, assembled from log entries. */
export interface ConversationView {
  turns: ConversationTurn[];
  queued: QueuedMessage[];
  /** Messages dropped before they started. */
  cancelled: Array<QueuedMessage & { reason: string }>;
  pendingPermissions: PendingPermission[];
  /** The last `session.status`, or `unknown` before any. */
  status: SessionStatus | 'unknown';
  /** Sum of the turns' own costs. */
  costUsd: number;
  usage: TokenUsage;
  /** `error` entries that arrived outside any turn. */
  errors: ConversationError[];
  /** How many `session.reset` entries were seen. */
  epoch: number;
  /** Seq of the last entry applied. */
  lastSeq: number;
}

const zeroUsage: TokenUsage = {
  inputTokens: 0,
  outputTokens: 0,
  cacheReadInputTokens: 0,
  cacheCreationInputTokens: 0,
};

/**
 * An empty conversation.
 *
 * @example
 * ```ts
 * let view = createConversationView();
 * connection.on('entry', (entry) => { view = applyLogEntry(view, entry); });
 * ```
 */
export function createConversationView(
  status: SessionStatus | 'unknown' = 'unknown',
): ConversationView {
  return {
    turns: [],
    queued: [],
    cancelled: [],
    pendingPermissions: [],
    status,
    costUsd: 0,
    usage: zeroUsage,
    errors: [],
    epoch: 0,
    lastSeq: 0,
  };
}

/**
 * Assembles log entries (in seq order) into a conversation view. Pure and deterministic: the
 * same entries always give an equal view, which is what lets a client check it missed nothing.
 *
 * @example
 * ```ts
 * const { entries } = await client.getEvents(sessionId);
 * const view = assembleConversation(entries);
 * for (const turn of view.turns) console.log(turn.userText, '->', turn.text, turn.costUsd);
 * ```
 */
export function assembleConversation(entries: Iterable<LogEntry>): ConversationView {
  let view = createConversationView();
  for (const entry of entries) view = applyLogEntry(view, entry);
  return view;
}

type Loose = Record<string, unknown>;

function isRecord(value: unknown): value is Loose {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The text of user content: the string itself, or its text blocks joined. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .filter(
      (block): block is { type: 'text'; text: string } =>
        isRecord(block) && block.type === 'text' && typeof block.text === 'string',
    )
    .map((block) => block.text)
    .join('\n');
}

function toolResultText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((block) => {
      if (!isRecord(block)) return '';
      if (block.type === 'text' && typeof block.text === 'string') return block.text;
      return `[${String(block.type)}]`;
    })
    .join('\n');
}

function number(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function usageFrom(raw: unknown): TokenUsage | null {
  if (!isRecord(raw)) return null;
  return {
    inputTokens: number(raw.input_tokens),
    outputTokens: number(raw.output_tokens),
    cacheReadInputTokens: number(raw.cache_read_input_tokens),
    cacheCreationInputTokens: number(raw.cache_creation_input_tokens),
  };
}

function addUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    cacheReadInputTokens: a.cacheReadInputTokens + b.cacheReadInputTokens,
    cacheCreationInputTokens: a.cacheCreationInputTokens + b.cacheCreationInputTokens,
  };
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (isRecord(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${stableJson(value[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function emptyTurn(messageId: string, seq: number, epoch: number): ConversationTurn {
  return {
    messageId,
    clientMessageId: null,
    content: null,
    userText: '',
    startedSeq: seq,
    epoch,
    parts: [],
    toolCalls: [],
    text: '',
    streamingText: '',
    streamingBlock: false,
    outcome: 'running',
    costUsd: null,
    durationMs: null,
    usage: null,
    errors: [],
  };
}

/** The turn entries of the agent belong to: the last one, while it runs. */
function currentTurnIndex(view: ConversationView): number {
  const index = view.turns.length - 1;
  const turn = view.turns[index];
  return turn !== undefined && turn.outcome === 'running' ? index : -1;
}

function replaceTurn(
  view: ConversationView,
  index: number,
  update: (turn: ConversationTurn) => ConversationTurn,
): ConversationView {
  const turn = view.turns[index];
  if (turn === undefined) return view;
  const turns = view.turns.slice();
  turns[index] = update(turn);
  return { ...view, turns };
}

/** The running turn, created on the fly for agent output that arrives with no turn open. */
function withCurrentTurn(
  view: ConversationView,
  seq: number,
  update: (turn: ConversationTurn) => ConversationTurn,
): ConversationView {
  let index = currentTurnIndex(view);
  let next = view;
  if (index < 0) {
    // Output without a started message (a log read from the middle): keep it, under no message.
    next = { ...view, turns: [...view.turns, emptyTurn('', seq, view.epoch)] };
    index = next.turns.length - 1;
  }
  return replaceTurn(next, index, update);
}

function applyAssistant(turn: ConversationTurn, entry: Loose): ConversationTurn {
  const message = isRecord(entry.message) ? entry.message : {};
  const blocks = Array.isArray(message.content) ? message.content : [];
  let { parts, toolCalls, text, streamingText, streamingBlock } = turn;
  for (const block of blocks) {
    if (!isRecord(block)) continue;
    if (block.type === 'text' && typeof block.text === 'string') {
      if (block.text.length === 0) continue;
      parts = [...parts, { kind: 'text', text: block.text }];
      text = text.length > 0 ? `${text}\n\n${block.text}` : block.text;
      streamingText = '';
      streamingBlock = false;
    } else if (block.type === 'tool_use' && typeof block.id === 'string') {
      const call: ToolCall = {
        id: block.id,
        name: typeof block.name === 'string' ? block.name : 'tool',
        input: block.input ?? {},
        status: 'running',
        result: null,
        isError: false,
        permission: null,
      };
      parts = [...parts, { kind: 'tool', toolCallId: block.id }];
      toolCalls = [...toolCalls, call];
      streamingText = '';
      streamingBlock = false;
    }
  }
  return { ...turn, parts, toolCalls, text, streamingText, streamingBlock };
}

function applyToolResults(turn: ConversationTurn, entry: Loose): ConversationTurn {
  const message = isRecord(entry.message) ? entry.message : {};
  const blocks = Array.isArray(message.content) ? message.content : [];
  let toolCalls = turn.toolCalls;
  for (const block of blocks) {
    if (!isRecord(block) || block.type !== 'tool_result') continue;
    const isError = block.is_error === true;
    toolCalls = toolCalls.map((call) =>
      call.id === block.tool_use_id
        ? {
            ...call,
            status: isError ? 'error' : 'done',
            result: toolResultText(block.content),
            isError,
          }
        : call,
    );
  }
  return toolCalls === turn.toolCalls ? turn : { ...turn, toolCalls };
}

/**
 * Applies one log entry to a view and returns the new view; the old one is left untouched and
 * turns the entry does not concern keep their identity (cheap re-renders in React).
 * Entries at or below `view.lastSeq` are ignored, so applying a replay twice is harmless.
 *
 * @example
 * ```ts
 * const view = applyLogEntry(createConversationView(), { type: 'session.status', seq: 1, status: 'running' });
 * view.status; // 'running'
 * ```
 */
export function applyLogEntry(view: ConversationView, entry: LogEntry): ConversationView {
  if (typeof entry.seq !== 'number') return applyStreamEvent(view, entry as unknown as Loose);
  if (entry.seq <= view.lastSeq) return view;
  const next = applyEntryBody(view, entry as unknown as Loose & { type: string; seq: number });
  return { ...next, lastSeq: entry.seq };
}

function applyEntryBody(
  view: ConversationView,
  entry: Loose & { type: string; seq: number },
): ConversationView {
  switch (entry.type) {
    case 'message.queued': {
      const content = entry.content as Content;
      const queued: QueuedMessage = {
        messageId: String(entry.messageId),
        clientMessageId: typeof entry.clientMessageId === 'string' ? entry.clientMessageId : null,
        content,
        userText: contentText(content),
        policy: (entry.policy as MessagePolicy | undefined) ?? 'enqueue',
        seq: entry.seq,
      };
      return { ...view, queued: [...view.queued, queued] };
    }
    case 'message.started': {
      const messageId = String(entry.messageId);
      const queued = view.queued.find((item) => item.messageId === messageId);
      // A turn still marked running when the next starts ended without a turn.ended we saw.
      const turn = emptyTurn(messageId, entry.seq, view.epoch);
      if (queued !== undefined) {
        turn.clientMessageId = queued.clientMessageId;
        turn.content = queued.content;
        turn.userText = queued.userText;
      }
      return {
        ...view,
        queued: view.queued.filter((item) => item.messageId !== messageId),
        turns: [...view.turns, turn],
      };
    }
    case 'message.cancelled': {
      const messageId = String(entry.messageId);
      const queued = view.queued.find((item) => item.messageId === messageId);
      return {
        ...view,
        queued: view.queued.filter((item) => item.messageId !== messageId),
        cancelled:
          queued === undefined
            ? view.cancelled
            : [...view.cancelled, { ...queued, reason: String(entry.reason ?? '') }],
      };
    }
    case 'turn.ended': {
      const messageId = String(entry.messageId);
      let index = -1;
      for (let position = view.turns.length - 1; position >= 0; position -= 1) {
        if (view.turns[position]?.messageId === messageId) {
          index = position;
          break;
        }
      }
      if (index < 0) return view;
      const costUsd = number(entry.costUsd);
      const ended = replaceTurn(view, index, (turn) => ({
        ...turn,
        outcome: entry.outcome as TurnOutcome,
        costUsd,
        durationMs: number(entry.durationMs),
        streamingText: '',
        streamingBlock: false,
        toolCalls: turn.toolCalls.map((call) =>
          call.status === 'running' || call.status === 'waiting_permission'
            ? { ...call, status: 'error' as const, isError: true, result: call.result ?? '' }
            : call,
        ),
      }));
      const turnUsage = ended.turns[index]?.usage;
      return {
        ...ended,
        costUsd: view.costUsd + costUsd,
        usage: turnUsage ? addUsage(view.usage, turnUsage) : view.usage,
        // A permission request cannot outlive its turn.
        pendingPermissions: view.pendingPermissions.filter((item) => item.messageId !== messageId),
      };
    }
    case 'session.status':
      return { ...view, status: entry.status as SessionStatus };
    case 'session.reset':
      return { ...view, epoch: view.epoch + 1 };
    case 'permission.request': {
      const input = isRecord(entry.input) ? entry.input : {};
      const requestId = String(entry.requestId);
      const toolName = String(entry.toolName);
      const index = currentTurnIndex(view);
      const pending: PendingPermission = {
        requestId,
        toolName,
        input,
        seq: entry.seq,
        messageId: index >= 0 ? (view.turns[index]?.messageId ?? null) : null,
      };
      const withPending = { ...view, pendingPermissions: [...view.pendingPermissions, pending] };
      if (index < 0) return withPending;
      const key = stableJson(input);
      return replaceTurn(withPending, index, (turn) => {
        // The request names no tool_use id: match the latest open call of that tool and input.
        const target = [...turn.toolCalls]
          .reverse()
          .find(
            (call) =>
              call.permission === null &&
              call.status === 'running' &&
              call.name === toolName &&
              stableJson(call.input) === key,
          );
        if (target === undefined) return turn;
        return {
          ...turn,
          toolCalls: turn.toolCalls.map((call) =>
            call === target
              ? { ...call, status: 'waiting_permission', permission: { requestId, behavior: null } }
              : call,
          ),
        };
      });
    }
    case 'permission.resolved': {
      const requestId = String(entry.requestId);
      const behavior = entry.behavior as PermissionBehavior;
      const without = {
        ...view,
        pendingPermissions: view.pendingPermissions.filter((item) => item.requestId !== requestId),
      };
      const index = view.turns.findLastIndex((turn) =>
        turn.toolCalls.some((call) => call.permission?.requestId === requestId),
      );
      if (index < 0) return without;
      return replaceTurn(without, index, (turn) => ({
        ...turn,
        toolCalls: turn.toolCalls.map((call) =>
          call.permission?.requestId === requestId
            ? {
                ...call,
                status: call.status === 'waiting_permission' ? 'running' : call.status,
                permission: { requestId, behavior },
              }
            : call,
        ),
      }));
    }
    case 'error': {
      const error: ConversationError = {
        seq: entry.seq,
        error: String(entry.error),
        code: String(entry.code),
      };
      const index = currentTurnIndex(view);
      if (index < 0) return { ...view, errors: [...view.errors, error] };
      return replaceTurn(view, index, (turn) => ({ ...turn, errors: [...turn.errors, error] }));
    }
    case 'assistant':
      return withCurrentTurn(view, entry.seq, (turn) => applyAssistant(turn, entry));
    case 'user':
      return currentTurnIndex(view) < 0
        ? view
        : replaceTurn(view, currentTurnIndex(view), (turn) => applyToolResults(turn, entry));
    case 'result': {
      const index = currentTurnIndex(view);
      const usage = usageFrom(entry.usage);
      if (index < 0 || usage === null) return view;
      return replaceTurn(view, index, (turn) => ({
        ...turn,
        usage: turn.usage ? addUsage(turn.usage, usage) : usage,
      }));
    }
    case 'stream_event':
      return applyStreamEvent(view, entry);
    default:
      return view;
  }
}

/**
 * Applies a live token-level `stream_event` (sent without seq, not in the log): its text
 * deltas grow the running turn's `streamingText` until the assistant entry confirms them.
 * Deltas are only shown for a block whose start was seen, so text joined mid-block after a
 * reconnect never appears cut in half.
 *
 * @example
 * ```ts
 * connection.on('stream', (event) => { view = applyStreamEvent(view, event); });
 * ```
 */
export function applyStreamEvent(
  view: ConversationView,
  frame: Record<string, unknown>,
): ConversationView {
  const index = currentTurnIndex(view);
  const event = frame.event;
  if (index < 0 || !isRecord(event)) return view;
  if (frame.parent_tool_use_id !== null && frame.parent_tool_use_id !== undefined) return view;
  if (event.type === 'content_block_start') {
    const block = isRecord(event.content_block) ? event.content_block : {};
    return replaceTurn(view, index, (turn) => ({
      ...turn,
      streamingText: '',
      streamingBlock: block.type === 'text',
    }));
  }
  if (event.type === 'content_block_delta' && isRecord(event.delta)) {
    const delta = event.delta;
    if (delta.type !== 'text_delta' || typeof delta.text !== 'string') return view;
    const text = delta.text;
    return replaceTurn(view, index, (turn) =>
      turn.streamingBlock ? { ...turn, streamingText: turn.streamingText + text } : turn,
    );
  }
  return view;
}
