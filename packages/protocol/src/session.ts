import { z } from 'zod';
import {
  MAX_APPEND_SYSTEM_PROMPT_CHARS,
  MAX_BUDGET_USD,
  MAX_ID_LENGTH,
  MAX_MODEL_NAME_LENGTH,
  MAX_TITLE_CHARS,
  MAX_TOOL_RULE_LENGTH,
  MAX_TOOL_RULES,
  MAX_TURNS_LIMIT,
} from './limits.js';

/** An opaque id (session, message, permission request). */
export const idSchema = z.string().min(1).max(MAX_ID_LENGTH);

/**
 * What to do with a user message when the session is busy: `enqueue` (run after the current
 * turn; the default), `interrupt` (interrupt the current turn, then run), `reject` (refuse
 * with `SESSION_BUSY`).
 */
export const messagePolicySchema = z.enum(['enqueue', 'interrupt', 'reject']);
/** What to do with a user message when the session is busy. */
export type MessagePolicy = z.infer<typeof messagePolicySchema>;
/** The policy of a message that names none. */
export const DEFAULT_MESSAGE_POLICY: MessagePolicy = 'enqueue';

/** The state of a session, as carried by `session.status` entries and the session object. */
export const sessionStatusSchema = z.enum([
  'idle',
  'running',
  'waiting_permission',
  'hibernated',
  'closed',
]);
/** The state of a session. */
export type SessionStatus = z.infer<typeof sessionStatusSchema>;

/** Every permission mode of the Claude Agent SDK, for operator settings. */
export const permissionModeSchema = z.enum([
  'default',
  'acceptEdits',
  'bypassPermissions',
  'plan',
  'dontAsk',
  'auto',
]);
/** A permission mode of the Claude Agent SDK. */
export type PermissionMode = z.infer<typeof permissionModeSchema>;

/**
 * The permission modes a client may pick for its own session. `bypassPermissions` and `auto`
 * are left out on purpose: they let the agent run tools without asking, which only the
 * operator may allow (`AGENT_SESSIONS_PERMISSION_MODE`).
 */
export const clientPermissionModeSchema = z.enum(['default', 'acceptEdits', 'plan', 'dontAsk']);
/** A permission mode a client may pick. */
export type ClientPermissionMode = z.infer<typeof clientPermissionModeSchema>;

const toolRulesSchema = z.array(z.string().min(1).max(MAX_TOOL_RULE_LENGTH)).max(MAX_TOOL_RULES);

const sessionOptionsShape = {
  model: z
    .string()
    .min(1)
    .max(MAX_MODEL_NAME_LENGTH)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:@/[\]-]*$/, 'must be a model name')
    .optional(),
  appendSystemPrompt: z.string().max(MAX_APPEND_SYSTEM_PROMPT_CHARS).optional(),
  permissionMode: clientPermissionModeSchema.optional(),
  maxTurns: z.int().min(1).max(MAX_TURNS_LIMIT).optional(),
  maxBudgetUsd: z.number().positive().max(MAX_BUDGET_USD).optional(),
  allowedTools: toolRulesSchema.optional(),
  disallowedTools: toolRulesSchema.optional(),
};

/**
 * Agent options a client may set when it creates a session. Unknown keys are refused rather
 * than ignored: a misspelt option that silently does nothing could cost money.
 *
 * @example
 * ```ts
 * sessionOptionsSchema.parse({ model: 'claude-sonnet-4-5', maxTurns: 10 });
 * sessionOptionsSchema.safeParse({ maxturns: 10 }).success; // false
 * ```
 */
export const sessionOptionsSchema = z.strictObject(sessionOptionsShape);
/** Agent options a client may set when it creates a session. */
export type SessionOptions = z.infer<typeof sessionOptionsSchema>;

const countSchema = z.int().min(0);

/** Token usage summed over a session's turns. */
export const usageSchema = z.object({
  inputTokens: countSchema,
  outputTokens: countSchema,
  cacheReadInputTokens: countSchema,
  cacheCreationInputTokens: countSchema,
});
/** Token usage summed over a session's turns. */
export type Usage = z.infer<typeof usageSchema>;

const timestampSchema = z.iso.datetime({ offset: true });

/**
 * The public session object (HTTP responses and the `session.ready` frame).
 *
 * @example
 * ```ts
 * const session: Session = sessionSchema.parse(await response.json());
 * console.log(session.status, session.lastSeq, session.costUsd);
 * ```
 */
export const sessionSchema = z.object({
  id: idSchema,
  title: z.string().max(MAX_TITLE_CHARS).nullable(),
  status: sessionStatusSchema,
  /** ISO 8601 timestamps. */
  createdAt: timestampSchema,
  updatedAt: timestampSchema,
  lastActiveAt: timestampSchema,
  /** The seq of the newest log entry; 0 while the log is empty. */
  lastSeq: countSchema,
  /** Turns that ended (whatever their outcome). */
  turnCount: countSchema,
  /** User messages accepted. */
  messageCount: countSchema,
  usage: usageSchema,
  /** Total cost in US dollars: the sum of each turn's own cost. */
  costUsd: z.number().min(0),
  /**
   * The options the session runs with. Unlike a create body, this may show an operator-set
   * `permissionMode` such as `bypassPermissions`, and unknown keys are tolerated.
   */
  options: z.object({ ...sessionOptionsShape, permissionMode: permissionModeSchema.optional() }),
});
/** The public session object. */
export type Session = z.infer<typeof sessionSchema>;
