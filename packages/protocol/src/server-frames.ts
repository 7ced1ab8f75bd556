import { z } from 'zod';
import { clientMessageIdSchema } from './client-frames.js';
import { logEntrySchema, seqSchema, wireErrorCodeSchema } from './log-entries.js';
import { idSchema, sessionSchema } from './session.js';

// Server frames are parsed by clients, so they tolerate what a newer server may add: unknown
// fields on log entries are kept (SDK messages) or stripped (control frames), never refused.

/** `{type:'session.ready', session, lastSeq}`: the first frame of every connection (no seq). */
export const sessionReadyFrameSchema = z.object({
  type: z.literal('session.ready'),
  session: sessionSchema,
  lastSeq: z.int().min(0),
});
/** The first frame of every connection. */
export type SessionReadyFrame = z.infer<typeof sessionReadyFrameSchema>;

/** `{type:'ack', clientMessageId?, messageId, seq}`: a user message is durable. `seq` is that of its `message.queued` entry. */
export const ackFrameSchema = z.object({
  type: z.literal('ack'),
  clientMessageId: clientMessageIdSchema.optional(),
  messageId: idSchema,
  seq: seqSchema,
});
/** A user message is durable. */
export type AckFrame = z.infer<typeof ackFrameSchema>;

/** `{type:'error', error, code}` without seq: the answer to a bad frame, not a log entry. */
export const errorFrameSchema = z.object({
  type: z.literal('error'),
  error: z.string(),
  code: wireErrorCodeSchema,
});
/** The answer to a bad frame. */
export type ErrorFrame = z.infer<typeof errorFrameSchema>;

/** `{type:'pong'}`: the answer to `ping`. */
export const pongFrameSchema = z.object({ type: z.literal('pong') });
/** The answer to `ping`. */
export type PongFrame = z.infer<typeof pongFrameSchema>;

/** A token-level SDK `stream_event` sent live without `seq` (it is not in the log). */
export const liveStreamEventFrameSchema = z.looseObject({ type: z.literal('stream_event') });
/** A token-level SDK `stream_event` sent live. */
export type LiveStreamEventFrame = z.infer<typeof liveStreamEventFrameSchema>;

/**
 * Any server-to-client frame: a log entry (it has `seq`) or a control frame (it has none).
 * Log entries are tried first so an `error` entry keeps its `seq`.
 *
 * @example
 * ```ts
 * socket.onmessage = (message) => {
 *   const frame = serverFrameSchema.parse(JSON.parse(message.data));
 *   if (isLogEntry(frame)) lastSeq = frame.seq;
 * };
 * ```
 */
export const serverFrameSchema = z.union([
  logEntrySchema,
  sessionReadyFrameSchema,
  ackFrameSchema,
  errorFrameSchema,
  pongFrameSchema,
  liveStreamEventFrameSchema,
]);
/** Any server-to-client frame. */
export type ServerFrame = z.infer<typeof serverFrameSchema>;

/** Whether a server frame is a log entry, i.e. carries a `seq` to resume from. */
export function isLogEntry(frame: ServerFrame): frame is z.infer<typeof logEntrySchema> {
  return frame.type !== 'ack' && typeof (frame as { seq?: unknown }).seq === 'number';
}
