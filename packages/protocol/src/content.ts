import { z } from 'zod';
import {
  MAX_BLOCK_DATA_CHARS,
  MAX_CONTENT_BLOCKS,
  MAX_CONTENT_CHARS,
  MAX_ID_LENGTH,
  MAX_URL_LENGTH,
} from './limits.js';

// Content blocks follow the Anthropic Messages API. Required fields are checked so a bad block
// is refused at the edge (400 / INVALID_FRAME) instead of failing later inside the agent; any
// other fields (cache_control, citations, title, context, ...) pass through untouched so the
// API's own additions keep working.

const textSchema = z.string().min(1).max(MAX_CONTENT_CHARS);
const idSchema = z.string().min(1).max(MAX_ID_LENGTH);
const urlSchema = z.string().min(1).max(MAX_URL_LENGTH);
const dataSchema = z.string().min(1).max(MAX_BLOCK_DATA_CHARS);

/** A Messages API text block: `{type: 'text', text}`. */
export const textBlockSchema = z.looseObject({ type: z.literal('text'), text: textSchema });
/** A Messages API text block. */
export type TextBlock = z.infer<typeof textBlockSchema>;

/** Where an image comes from: inline base64, a URL, or an uploaded file. */
export const imageSourceSchema = z.discriminatedUnion('type', [
  z.looseObject({
    type: z.literal('base64'),
    media_type: z.enum(['image/jpeg', 'image/png', 'image/gif', 'image/webp']),
    data: dataSchema,
  }),
  z.looseObject({ type: z.literal('url'), url: urlSchema }),
  z.looseObject({ type: z.literal('file'), file_id: idSchema }),
]);
/** Where an image comes from. */
export type ImageSource = z.infer<typeof imageSourceSchema>;

/** A Messages API image block: `{type: 'image', source}`. */
export const imageBlockSchema = z.looseObject({
  type: z.literal('image'),
  source: imageSourceSchema,
});
/** A Messages API image block. */
export type ImageBlock = z.infer<typeof imageBlockSchema>;

/** Where a document comes from: a base64 PDF, plain text, custom content blocks, a URL, or a file. */
export const documentSourceSchema = z.discriminatedUnion('type', [
  z.looseObject({
    type: z.literal('base64'),
    media_type: z.literal('application/pdf'),
    data: dataSchema,
  }),
  z.looseObject({ type: z.literal('text'), media_type: z.literal('text/plain'), data: dataSchema }),
  z.looseObject({
    type: z.literal('content'),
    content: z.union([
      textSchema,
      z
        .array(z.union([textBlockSchema, imageBlockSchema]))
        .min(1)
        .max(MAX_CONTENT_BLOCKS),
    ]),
  }),
  z.looseObject({ type: z.literal('url'), url: urlSchema }),
  z.looseObject({ type: z.literal('file'), file_id: idSchema }),
]);
/** Where a document comes from. */
export type DocumentSource = z.infer<typeof documentSourceSchema>;

/** A Messages API document block: `{type: 'document', source}`. */
export const documentBlockSchema = z.looseObject({
  type: z.literal('document'),
  source: documentSourceSchema,
});
/** A Messages API document block. */
export type DocumentBlock = z.infer<typeof documentBlockSchema>;

/** A Messages API search result block: `{type: 'search_result', source, title, content}`. */
export const searchResultBlockSchema = z.looseObject({
  type: z.literal('search_result'),
  source: urlSchema,
  title: z.string().max(MAX_CONTENT_CHARS),
  content: z.array(textBlockSchema).min(1).max(MAX_CONTENT_BLOCKS),
});
/** A Messages API search result block. */
export type SearchResultBlock = z.infer<typeof searchResultBlockSchema>;

/** A Messages API tool result block: `{type: 'tool_result', tool_use_id, content?, is_error?}`. */
export const toolResultBlockSchema = z.looseObject({
  type: z.literal('tool_result'),
  tool_use_id: idSchema,
  content: z
    .union([
      z.string().max(MAX_CONTENT_CHARS),
      z
        .array(
          z.discriminatedUnion('type', [
            textBlockSchema,
            imageBlockSchema,
            documentBlockSchema,
            searchResultBlockSchema,
          ]),
        )
        .max(MAX_CONTENT_BLOCKS),
    ])
    .optional(),
  is_error: z.boolean().optional(),
});
/** A Messages API tool result block. */
export type ToolResultBlock = z.infer<typeof toolResultBlockSchema>;

/** Content block types a client may send in a user message. */
export const CONTENT_BLOCK_TYPES = [
  'text',
  'image',
  'document',
  'search_result',
  'tool_result',
] as const;

/**
 * One content block of a user message (Messages API shape). Unknown block types are refused;
 * unknown fields on a known block are kept.
 */
export const contentBlockSchema = z.discriminatedUnion('type', [
  textBlockSchema,
  imageBlockSchema,
  documentBlockSchema,
  searchResultBlockSchema,
  toolResultBlockSchema,
]);
/** One content block of a user message. */
export type ContentBlock = z.infer<typeof contentBlockSchema>;

/**
 * The `content` of a user message: a non-empty string, or a non-empty array of Messages API
 * content blocks.
 *
 * @example
 * ```ts
 * contentSchema.parse('Hello');
 * contentSchema.parse([
 *   { type: 'text', text: 'What is in this picture?' },
 *   { type: 'image', source: { type: 'url', url: 'https://example.com/cat.png' } },
 * ]);
 * contentSchema.safeParse('').success; // false
 * ```
 */
export const contentSchema = z.union([
  textSchema,
  z.array(contentBlockSchema).min(1).max(MAX_CONTENT_BLOCKS),
]);
/** The `content` of a user message. */
export type Content = z.infer<typeof contentSchema>;
