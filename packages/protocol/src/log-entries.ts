import { z } from 'zod';
import { clientMessageIdSchema, permissionBehaviorSchema } from './client-frames.js';
import { contentSchema } from './content.js';
import { idSchema, messagePolicySchema, sessionStatusSchema } from './session.js';

/** A log position: an integer from 1, increasing by 1 within a session. */
export const seqSchema = z.int().min(1);

/** A stable UPPER_SNAKE error code as seen on the wire (newer servers may send new codes). */
export const wireErrorCodeSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Z][A-Z0-9_]*$/, 'must be an UPPER_SNAKE error code');

const seq = { seq: seqSchema };

/** `message.queued`: a user message was accepted (durable before it is acknowledged). */
export const messageQueuedEntrySchema = z.object({
  type: z.literal('message.queued'),
  ...seq,
  messageId: idSchema,
  clientMessageId: clientMessageIdSchema.optional(),
  content: contentSchema,
  policy: messagePolicySchema,
});
/** A user message was accepted. */
export type MessageQueuedEntry = z.infer<typeof messageQueuedEntrySchema>;

/** `message.started`: the message was delivered to the agent; its turn begins. */
export const messageStartedEntrySchema = z.object({
  type: z.literal('message.started'),
  ...seq,
  messageId: idSchema,
});
/** A message was delivered to the agent. */
export type MessageStartedEntry = z.infer<typeof messageStartedEntrySchema>;

/** `message.cancelled`: the message was dropped before it started. */
export const messageCancelledEntrySchema = z.object({
  type: z.literal('message.cancelled'),
  ...seq,
  messageId: idSchema,
  reason: z.string(),
});
/** A message was dropped before it started. */
export type MessageCancelledEntry = z.infer<typeof messageCancelledEntrySchema>;

/** How a turn ended. */
export const turnOutcomeSchema = z.enum(['success', 'error', 'interrupted']);
/** How a turn ended. */
export type TurnOutcome = z.infer<typeof turnOutcomeSchema>;

/** `turn.ended`: `costUsd` is this turn's own cost, not the SDK's cumulative figure. */
export const turnEndedEntrySchema = z.object({
  type: z.literal('turn.ended'),
  ...seq,
  messageId: idSchema,
  outcome: turnOutcomeSchema,
  costUsd: z.number().min(0),
  durationMs: z.number().min(0),
});
/** A turn ended. */
export type TurnEndedEntry = z.infer<typeof turnEndedEntrySchema>;

/** `session.status`: the session changed state. */
export const sessionStatusEntrySchema = z.object({
  type: z.literal('session.status'),
  ...seq,
  status: sessionStatusSchema,
});
/** The session changed state. */
export type SessionStatusEntry = z.infer<typeof sessionStatusEntrySchema>;

/** `permission.request`: the agent asks whether it may call a tool with this input. */
export const permissionRequestEntrySchema = z.object({
  type: z.literal('permission.request'),
  ...seq,
  requestId: idSchema,
  toolName: z.string().min(1),
  input: z.record(z.string(), z.unknown()),
});
/** The agent asks for permission to call a tool. */
export type PermissionRequestEntry = z.infer<typeof permissionRequestEntrySchema>;

/** `permission.resolved`: a permission request was answered. */
export const permissionResolvedEntrySchema = z.object({
  type: z.literal('permission.resolved'),
  ...seq,
  requestId: idSchema,
  behavior: permissionBehaviorSchema,
});
/** A permission request was answered. */
export type PermissionResolvedEntry = z.infer<typeof permissionResolvedEntrySchema>;

/** `session.reset`: the next message starts a fresh conversation (history stays in the log). */
export const sessionResetEntrySchema = z.object({ type: z.literal('session.reset'), ...seq });
/** The next message starts a fresh conversation. */
export type SessionResetEntry = z.infer<typeof sessionResetEntrySchema>;

/** `error` in the log: `error` is a human sentence, `code` a stable UPPER_SNAKE code. */
export const errorEntrySchema = z.object({
  type: z.literal('error'),
  ...seq,
  error: z.string(),
  code: wireErrorCodeSchema,
});
/** An error recorded in the log. */
export type ErrorEntry = z.infer<typeof errorEntrySchema>;

/** The `type` of every server-side log entry (the others are SDK messages). */
export const SERVER_EVENT_TYPES = [
  'message.queued',
  'message.started',
  'message.cancelled',
  'turn.ended',
  'session.status',
  'permission.request',
  'permission.resolved',
  'session.reset',
  'error',
] as const;
/** The `type` of a server-side log entry. */
export type ServerEventType = (typeof SERVER_EVENT_TYPES)[number];

/**
 * A server-side log entry, discriminated by `type`. Unknown fields are stripped.
 *
 * @example
 * ```ts
 * const event = serverEventSchema.parse(entry);
 * if (event.type === 'turn.ended') console.log(event.outcome, event.costUsd);
 * ```
 */
export const serverEventSchema = z.discriminatedUnion('type', [
  messageQueuedEntrySchema,
  messageStartedEntrySchema,
  messageCancelledEntrySchema,
  turnEndedEntrySchema,
  sessionStatusEntrySchema,
  permissionRequestEntrySchema,
  permissionResolvedEntrySchema,
  sessionResetEntrySchema,
  errorEntrySchema,
]);
/** A server-side log entry. */
export type ServerEvent = z.infer<typeof serverEventSchema>;

/** A server-side log entry before the store gives it a `seq`. */
export type ServerEventInput = WithoutSeq<ServerEvent>;

// Distributes over the union: a plain Omit would merge the members into one shape.
type WithoutSeq<Event> = Event extends unknown ? Omit<Event, 'seq'> : never;

/**
 * `type` values that are never SDK message types: the server events plus the control frames
 * (`session.ready`, `ack`, `pong`), so an SDK entry can't be mistaken for either.
 */
export const RESERVED_ENTRY_TYPES: readonly string[] = [
  ...SERVER_EVENT_TYPES,
  'session.ready',
  'ack',
  'pong',
];

/** Whether `type` names a server-side log entry. */
export function isServerEventType(type: unknown): type is ServerEventType {
  return typeof type === 'string' && (SERVER_EVENT_TYPES as readonly string[]).includes(type);
}

/**
 * A Claude Agent SDK message stored in the log: kept verbatim (every field preserved) plus
 * `seq`. Its `type` is the SDK's (`system`, `assistant`, `user`, `result`, ...).
 */
export const sdkMessageEntrySchema = z.looseObject({
  type: z
    .string()
    .min(1)
    .max(100)
    .refine((type) => !RESERVED_ENTRY_TYPES.includes(type), 'must be an SDK message type'),
  ...seq,
});
/** A Claude Agent SDK message stored in the log. */
export type SdkMessageEntry = z.infer<typeof sdkMessageEntrySchema>;

/**
 * Any log entry: a server-side event (checked field by field) or an SDK message (kept
 * verbatim). Every entry has `type` and `seq`.
 *
 * @example
 * ```ts
 * const entry = logEntrySchema.parse({ type: 'assistant', seq: 7, message: { content: [] } });
 * entry.seq; // 7, and `message` is preserved as is
 * ```
 */
export const logEntrySchema = z.union([serverEventSchema, sdkMessageEntrySchema]);
/** Any log entry. */
export type LogEntry = z.infer<typeof logEntrySchema>;
