import { z } from 'zod';
import { messageFieldsShape, permissionAnswerShape } from './client-frames.js';
import {
  MAX_CURSOR_LENGTH,
  MAX_EVENTS_PAGE_LIMIT,
  MAX_PAGE_LIMIT,
  MAX_TITLE_CHARS,
} from './limits.js';
import { logEntrySchema, seqSchema, wireErrorCodeSchema } from './log-entries.js';
import { sessionOptionsSchema, sessionSchema } from './session.js';

/** `POST /v1/sessions` body. */
export const createSessionBodySchema = z.object({
  title: z.string().max(MAX_TITLE_CHARS).optional(),
  options: sessionOptionsSchema.optional(),
});
/** `POST /v1/sessions` body. */
export type CreateSessionBody = z.infer<typeof createSessionBodySchema>;

/**
 * `POST /v1/sessions/:id/messages` body: `{content, policy?, clientMessageId?}`.
 *
 * @example
 * ```ts
 * const body = postMessageBodySchema.safeParse(await readJson(request));
 * if (!body.success) return reply(400, { error: '...', code: 'BAD_REQUEST' });
 * ```
 */
export const postMessageBodySchema = z.object(messageFieldsShape);
/** `POST /v1/sessions/:id/messages` body. */
export type PostMessageBody = z.infer<typeof postMessageBodySchema>;

/** `POST /v1/sessions/:id/permissions/:requestId` body: `{behavior, message?}`. */
export const permissionAnswerBodySchema = z.object(permissionAnswerShape);
/** `POST /v1/sessions/:id/permissions/:requestId` body. */
export type PermissionAnswerBody = z.infer<typeof permissionAnswerBodySchema>;

// Query parameters arrive as strings; numbers are accepted too for programmatic callers.
// Only plain decimal digits: '1e3', ' 5' or '0x10' are refused rather than guessed at.
function queryInteger(minimum: number, maximum: number) {
  return z
    .union([
      z.number(),
      z
        .string()
        .regex(/^\d{1,15}$/, 'must be a whole number')
        .transform(Number),
    ])
    .pipe(z.int().min(minimum).max(maximum));
}

/** `GET /v1/sessions` query: `{cursor?, limit?}` (the server defaults `limit` to `DEFAULT_PAGE_LIMIT`). */
export const listSessionsQuerySchema = z.object({
  cursor: z.string().min(1).max(MAX_CURSOR_LENGTH).optional(),
  limit: queryInteger(1, MAX_PAGE_LIMIT).optional(),
});
/** `GET /v1/sessions` query. */
export type ListSessionsQuery = z.infer<typeof listSessionsQuerySchema>;

/** `GET /v1/sessions/:id/events` query: `{after?, limit?}` (`after` defaults to 0). */
export const eventsQuerySchema = z.object({
  after: queryInteger(0, Number.MAX_SAFE_INTEGER).optional(),
  limit: queryInteger(1, MAX_EVENTS_PAGE_LIMIT).optional(),
});
/** `GET /v1/sessions/:id/events` query. */
export type EventsQuery = z.infer<typeof eventsQuerySchema>;

/** `202` answer to a posted message: its id and the `seq` of its `message.queued` entry. */
export const messageAcceptedSchema = z.object({ messageId: z.string().min(1), seq: seqSchema });
/** `202` answer to a posted message. */
export type MessageAccepted = z.infer<typeof messageAcceptedSchema>;

/**
 * A cursor-paginated list: `nextCursor` is `null` on the last page.
 *
 * @example
 * ```ts
 * const sessionPageSchema = createPageSchema(sessionSchema);
 * ```
 */
export function createPageSchema<Item extends z.ZodType>(itemSchema: Item) {
  return z.object({
    items: z.array(itemSchema),
    nextCursor: z.string().min(1).max(MAX_CURSOR_LENGTH).nullable(),
  });
}

/** `GET /v1/sessions` answer. */
export const sessionPageSchema = createPageSchema(sessionSchema);
/** `GET /v1/sessions` answer. */
export type SessionPage = z.infer<typeof sessionPageSchema>;

/**
 * `GET /v1/sessions/:id/events` JSON answer: entries with `seq > after`, in order, and the
 * session's `lastSeq` (more remain when the last entry's seq is below it).
 */
export const eventsPageSchema = z.object({
  entries: z.array(logEntrySchema),
  lastSeq: z.int().min(0),
});
/** `GET /v1/sessions/:id/events` JSON answer. */
export type EventsPage = z.infer<typeof eventsPageSchema>;

/**
 * Every HTTP error body: `{error, code}`, a human sentence and a stable UPPER_SNAKE code.
 *
 * @example
 * ```ts
 * const body = errorBodySchema.safeParse(await response.json());
 * if (body.success && body.data.code === 'RATE_LIMITED') await sleep(retryAfterMs);
 * ```
 */
export const errorBodySchema = z.object({ error: z.string(), code: wireErrorCodeSchema });
/** Every HTTP error body. */
export type ErrorBody = z.infer<typeof errorBodySchema>;
