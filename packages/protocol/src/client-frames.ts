import { z } from 'zod';
import { contentSchema } from './content.js';
import { MAX_CLIENT_MESSAGE_ID_LENGTH, MAX_PERMISSION_MESSAGE_CHARS } from './limits.js';
import { idSchema, messagePolicySchema } from './session.js';

// Client frames strip unknown fields instead of refusing them: an older server must keep
// serving a newer client that adds an optional field.

/** A client-chosen idempotency key for a user message. */
export const clientMessageIdSchema = z.string().min(1).max(MAX_CLIENT_MESSAGE_ID_LENGTH);

/** Allow or deny a tool call the agent asked permission for. */
export const permissionBehaviorSchema = z.enum(['allow', 'deny']);
/** Allow or deny a tool call. */
export type PermissionBehavior = z.infer<typeof permissionBehaviorSchema>;

/** The fields of a user message, shared by the `message` frame and the HTTP body. */
export const messageFieldsShape = {
  content: contentSchema,
  policy: messagePolicySchema.optional(),
  clientMessageId: clientMessageIdSchema.optional(),
};

/** `{type:'message', content, policy?, clientMessageId?}`: send a user message. */
export const messageFrameSchema = z.object({ type: z.literal('message'), ...messageFieldsShape });
/** Send a user message. */
export type MessageFrame = z.infer<typeof messageFrameSchema>;

/** `{type:'interrupt'}`: interrupt the running turn. */
export const interruptFrameSchema = z.object({ type: z.literal('interrupt') });
/** Interrupt the running turn. */
export type InterruptFrame = z.infer<typeof interruptFrameSchema>;

/** `{type:'reset'}`: the next message starts a fresh conversation. */
export const resetFrameSchema = z.object({ type: z.literal('reset') });
/** Start a fresh conversation with the next message. */
export type ResetFrame = z.infer<typeof resetFrameSchema>;

/** The fields of a permission answer, shared by the `permission` frame and the HTTP body. */
export const permissionAnswerShape = {
  behavior: permissionBehaviorSchema,
  message: z.string().max(MAX_PERMISSION_MESSAGE_CHARS).optional(),
};

/** `{type:'permission', requestId, behavior, message?}`: answer a `permission.request`. */
export const permissionFrameSchema = z.object({
  type: z.literal('permission'),
  requestId: idSchema,
  ...permissionAnswerShape,
});
/** Answer a `permission.request`. */
export type PermissionFrame = z.infer<typeof permissionFrameSchema>;

/** `{type:'ping'}`: the server answers `{type:'pong'}`. */
export const pingFrameSchema = z.object({ type: z.literal('ping') });
/** Ask for a `pong`. */
export type PingFrame = z.infer<typeof pingFrameSchema>;

/** The `type` of every client frame. */
export const CLIENT_FRAME_TYPES = ['message', 'interrupt', 'reset', 'permission', 'ping'] as const;
/** The `type` of a client frame. */
export type ClientFrameType = (typeof CLIENT_FRAME_TYPES)[number];

/**
 * Any client-to-server WebSocket frame, discriminated by `type`. On the server prefer
 * {@link parseClientFrame}, which also checks size and JSON and never throws.
 *
 * @example
 * ```ts
 * const frame: ClientFrame = { type: 'message', content: 'Hi', clientMessageId: 'c-1' };
 * socket.send(JSON.stringify(clientFrameSchema.parse(frame)));
 * ```
 */
export const clientFrameSchema = z.discriminatedUnion('type', [
  messageFrameSchema,
  interruptFrameSchema,
  resetFrameSchema,
  permissionFrameSchema,
  pingFrameSchema,
]);
/** Any client-to-server WebSocket frame. */
export type ClientFrame = z.infer<typeof clientFrameSchema>;
