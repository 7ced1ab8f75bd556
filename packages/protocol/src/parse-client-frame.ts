import {
  CLIENT_FRAME_TYPES,
  type ClientFrame,
  type ClientFrameType,
  interruptFrameSchema,
  messageFrameSchema,
  permissionFrameSchema,
  pingFrameSchema,
  resetFrameSchema,
} from './client-frames.js';
import { describeValidationError } from './describe-validation-error.js';
import type { ErrorCode } from './error-codes.js';
import { MAX_FRAME_BYTES } from './limits.js';

/** The result of {@link parseClientFrame}: a frame, or a wire-ready `{error, code}`. */
export type ParseClientFrameResult =
  | { ok: true; frame: ClientFrame }
  | { ok: false; error: string; code: Extract<ErrorCode, 'INVALID_FRAME' | 'PAYLOAD_TOO_LARGE'> };

const frameSchemas = {
  message: messageFrameSchema,
  interrupt: interruptFrameSchema,
  reset: resetFrameSchema,
  permission: permissionFrameSchema,
  ping: pingFrameSchema,
} as const;

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
// biome-ignore lint/suspicious/noControlCharactersInRegex: the whole ASCII range is the point
const asciiOnly = /^[\u0000-\u007f]*$/;

function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && index + 1 < text.length) {
      const next = text.charCodeAt(index + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        index++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

function isOverSize(text: string, maximumBytes: number): boolean {
  // Cheap bounds first: a UTF-16 unit is 1 to 3 UTF-8 bytes (a pair is 4 for 2 units).
  if (text.length > maximumBytes) return true;
  if (text.length * 3 <= maximumBytes) return false;
  // Native ASCII scan first: counting in JS costs about 3 ms per MiB.
  if (asciiOnly.test(text)) return false;
  return utf8ByteLength(text) > maximumBytes;
}

function invalid(error: string): ParseClientFrameResult {
  return { ok: false, error, code: 'INVALID_FRAME' };
}

function tooLarge(maximumBytes: number): ParseClientFrameResult {
  return {
    ok: false,
    error: `The frame is larger than the limit of ${maximumBytes} bytes.`,
    code: 'PAYLOAD_TOO_LARGE',
  };
}

function decode(data: unknown, maximumBytes: number): string | ParseClientFrameResult {
  if (typeof data === 'string')
    return isOverSize(data, maximumBytes) ? tooLarge(maximumBytes) : data;
  let bytes: Uint8Array;
  if (data instanceof Uint8Array) bytes = data;
  else if (data instanceof ArrayBuffer) bytes = new Uint8Array(data);
  else return invalid('The frame must be a JSON text message.');
  if (bytes.byteLength > maximumBytes) return tooLarge(maximumBytes);
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    return invalid('The frame is not valid UTF-8 text.');
  }
}

function parse(data: unknown, maximumBytes: number): ParseClientFrameResult {
  const text = decode(data, maximumBytes);
  if (typeof text !== 'string') return text;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return invalid('The frame is not valid JSON.');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return invalid('The frame must be a JSON object with a "type" field.');
  }
  const type = (value as { type?: unknown }).type;
  if (typeof type !== 'string') {
    return invalid('The frame must have a string "type" field.');
  }
  if (!(CLIENT_FRAME_TYPES as readonly string[]).includes(type)) {
    return invalid(
      `Unknown frame type ${JSON.stringify(type.slice(0, 100))}; expected one of ${CLIENT_FRAME_TYPES.join(', ')}.`,
    );
  }
  const result = frameSchemas[type as ClientFrameType].safeParse(value);
  if (!result.success) {
    const sentence = describeValidationError(result.error, value);
    return invalid(
      `Invalid "${type}" frame: ${sentence.charAt(0).toLowerCase()}${sentence.slice(1)}`,
    );
  }
  return { ok: true, frame: result.data };
}

/** Options for {@link parseClientFrame}. */
export interface ParseClientFrameOptions {
  /** Size limit in UTF-8 bytes; defaults to {@link MAX_FRAME_BYTES}. */
  maximumBytes?: number;
}

/**
 * Parses one client WebSocket frame. It never throws: every failure comes back as a wire-ready
 * `{error, code}` (`PAYLOAD_TOO_LARGE` over the size limit, otherwise `INVALID_FRAME`, with a
 * sentence that names the offending field). Bytes (as `ws` delivers text frames) are decoded
 * as strict UTF-8; a server that wants to refuse binary opcodes checks that itself.
 *
 * @example
 * ```ts
 * socket.on('message', (data) => {
 *   const result = parseClientFrame(data as Uint8Array);
 *   if (!result.ok) {
 *     socket.send(JSON.stringify({ type: 'error', error: result.error, code: result.code }));
 *     return;
 *   }
 *   handle(result.frame); // ClientFrame, discriminated by `type`
 * });
 * ```
 */
export function parseClientFrame(
  data: string | ArrayBuffer | Uint8Array,
  options: ParseClientFrameOptions = {},
): ParseClientFrameResult {
  try {
    return parse(data, options.maximumBytes ?? MAX_FRAME_BYTES);
  } catch {
    // Defensive: nothing above should throw, but a frame must never take the server down.
    return invalid('The frame could not be parsed.');
  }
}
