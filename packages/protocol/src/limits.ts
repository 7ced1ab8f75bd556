// Named limits shared by client and server. The schemas in this package enforce them, so a
// value that passes on one side passes on the other.

/** Largest WebSocket text frame the server accepts, in UTF-8 bytes (1 MiB). */
export const MAX_FRAME_BYTES = 1_048_576;
/** Largest HTTP JSON body the server accepts, in bytes: the same as a frame, so a message that fits one transport fits the other. */
export const MAX_BODY_BYTES = MAX_FRAME_BYTES;
/** Longest text in a message: a string `content`, or the `text` of one text block, in UTF-16 code units. */
export const MAX_CONTENT_CHARS = 200_000;
/** Most content blocks in one message (and in one nested `tool_result`/`search_result`). */
export const MAX_CONTENT_BLOCKS = 100;
/** Longest base64 or text `data` of an image/document source. Frames cap it lower in practice. */
export const MAX_BLOCK_DATA_CHARS = MAX_FRAME_BYTES;
/** Longest URL in an image/document source. */
export const MAX_URL_LENGTH = 2_048;
/** Longest `clientMessageId`. */
export const MAX_CLIENT_MESSAGE_ID_LENGTH = 200;
/** Longest id of a session, message, permission request, file or tool use. */
export const MAX_ID_LENGTH = 200;
/** Longest session title. */
export const MAX_TITLE_CHARS = 200;
/** Longest `appendSystemPrompt` session option. */
export const MAX_APPEND_SYSTEM_PROMPT_CHARS = 20_000;
/** Longest `message` on a permission answer. */
export const MAX_PERMISSION_MESSAGE_CHARS = 2_000;
/** Longest model name. */
export const MAX_MODEL_NAME_LENGTH = 100;
/** Largest `maxTurns` session option. */
export const MAX_TURNS_LIMIT = 1_000;
/** Largest `maxBudgetUsd` session option. */
export const MAX_BUDGET_USD = 1_000;
/** Most entries in `allowedTools` / `disallowedTools`. */
export const MAX_TOOL_RULES = 100;
/** Longest tool name or tool rule (e.g. `Bash(npm test:*)`). */
export const MAX_TOOL_RULE_LENGTH = 200;
/** Longest pagination cursor. */
export const MAX_CURSOR_LENGTH = 512;
/** Largest `limit` of a session list page. */
export const MAX_PAGE_LIMIT = 100;
/** `limit` of a session list page when the client gives none. */
export const DEFAULT_PAGE_LIMIT = 20;
/** Largest `limit` of an events page. */
export const MAX_EVENTS_PAGE_LIMIT = 1_000;
/** `limit` of an events page when the client gives none. */
export const DEFAULT_EVENTS_PAGE_LIMIT = 500;
