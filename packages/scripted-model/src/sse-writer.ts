import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PlannedBlock, ResponsePlan } from './plan-response.js';

/** How one streamed response ended. */
export type StreamEnd = 'completed' | 'broken' | 'client_closed';

export interface StreamMessageOptions {
  messageId: string;
  model: string;
  /** Spread the deltas over this many milliseconds. */
  slowMs?: number;
  /** Send nothing for this long after `message_start`. */
  stallMs?: number;
  /** Destroy the socket right after the first delta reached it. */
  breakAfterFirstDelta?: boolean;
  /** Aborted when the client goes away or the server closes: stops timers at once. */
  signal: AbortSignal;
}

/**
 * One server-sent event as the Messages API writes it.
 *
 * @example
 * ```ts
 * formatSseEvent('ping', { type: 'ping' }); // 'event: ping\ndata: {"type":"ping"}\n\n'
 * ```
 */
export function formatSseEvent(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * Cuts `text` into `pieces` parts of (nearly) equal length at code point boundaries, so the
 * parts fall at arbitrary places (mid-word, mid-JSON-token) yet join back to `text`.
 *
 * @example
 * ```ts
 * splitIntoPieces('abcdefg', 3); // ['abc', 'de', 'fg']
 * ```
 */
export function splitIntoPieces(text: string, pieces: number): string[] {
  const points = Array.from(text);
  const count = Math.max(0, Math.min(points.length, Math.floor(pieces)));
  if (count === 0) return [];
  const parts: string[] = [];
  let start = 0;
  for (let part = 0; part < count; part++) {
    const end = start + Math.ceil((points.length - start) / (count - part));
    parts.push(points.slice(start, end).join(''));
    start = end;
  }
  return parts;
}

/**
 * How many deltas a block of `length` characters is streamed in: several for any text of a
 * few characters, more when the reply is slowed down so an interrupt can land mid-reply.
 */
export function deltaCount(length: number, slow: boolean): number {
  const [perDelta, minimum, maximum] = slow ? [4, 10, 200] : [16, 3, 64];
  return Math.min(length, Math.max(minimum, Math.min(maximum, Math.ceil(length / perDelta))));
}

/** The Message object (without content) shared by `message_start` and JSON responses. */
export function messageEnvelope(
  messageId: string,
  model: string,
  inputTokens: number,
  outputTokens: number,
) {
  return {
    id: messageId,
    type: 'message' as const,
    role: 'assistant' as const,
    model,
    content: [] as unknown[],
    stop_reason: null as string | null,
    stop_sequence: null,
    usage: {
      input_tokens: inputTokens,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      output_tokens: outputTokens,
    },
  };
}

interface BlockEvents {
  start: Record<string, unknown>;
  deltas: Record<string, unknown>[];
}

function blockEvents(block: PlannedBlock, slow: boolean): BlockEvents {
  if (block.type === 'text') {
    return {
      start: { type: 'text', text: '' },
      deltas: splitIntoPieces(block.text, deltaCount(block.text.length, slow)).map((text) => ({
        type: 'text_delta',
        text,
      })),
    };
  }
  const json = JSON.stringify(block.input);
  return {
    start: { type: 'tool_use', id: block.id, name: block.name, input: {} },
    deltas: splitIntoPieces(json, deltaCount(json.length, slow)).map((partial_json) => ({
      type: 'input_json_delta',
      partial_json,
    })),
  };
}

/**
 * Streams `plan` as the Messages API does: `message_start`, `ping`, per block
 * `content_block_start` / `content_block_delta`s / `content_block_stop`, then `message_delta`
 * and `message_stop`. The caller has written the response headers.
 *
 * @example
 * ```ts
 * response.writeHead(200, { 'content-type': 'text/event-stream' });
 * const end = await streamMessage(response, plan, { messageId, model, signal });
 * ```
 */
export async function streamMessage(
  response: ServerResponse,
  plan: ResponsePlan,
  options: StreamMessageOptions,
): Promise<StreamEnd> {
  const { signal } = options;
  const slow = (options.slowMs ?? 0) > 0;
  const blocks = plan.blocks.map((block) => blockEvents(block, slow));
  const totalDeltas = blocks.reduce((sum, block) => sum + block.deltas.length, 0);
  const pauseAfterDelta = slow ? options.slowMs! / Math.max(1, totalDeltas) : 0;

  const send = async (event: string, data: Record<string, unknown>): Promise<boolean> => {
    if (signal.aborted || response.destroyed) return false;
    if (!response.write(formatSseEvent(event, { type: event, ...data }))) {
      return waitForDrain(response, signal);
    }
    return true;
  };

  const envelope = messageEnvelope(options.messageId, options.model, plan.usage.inputTokens, 1);
  if (!(await send('message_start', { message: envelope }))) return 'client_closed';
  if (!(await pause(options.stallMs ?? 0, signal))) return 'client_closed';
  if (!(await send('ping', {}))) return 'client_closed';

  let deltasSent = 0;
  for (const [index, block] of blocks.entries()) {
    if (!(await send('content_block_start', { index, content_block: block.start }))) {
      return 'client_closed';
    }
    for (const delta of block.deltas) {
      if (!(await send('content_block_delta', { index, delta }))) return 'client_closed';
      deltasSent++;
      if (options.breakAfterFirstDelta && deltasSent === 1) {
        await cutConnection(response);
        return 'broken';
      }
      if (!(await pause(pauseAfterDelta, signal))) return 'client_closed';
    }
    if (block.deltas.length === 0 && !(await pause(slow ? options.slowMs! : 0, signal))) {
      return 'client_closed';
    }
    if (!(await send('content_block_stop', { index }))) return 'client_closed';
  }
  if (options.breakAfterFirstDelta && deltasSent === 0) {
    await cutConnection(response);
    return 'broken';
  }
  const finished =
    (await send('message_delta', {
      delta: { stop_reason: plan.stopReason, stop_sequence: null },
      usage: { output_tokens: plan.usage.outputTokens },
    })) && (await send('message_stop', {}));
  if (!finished) return 'client_closed';
  response.end();
  return 'completed';
}

/** Resolves false when the signal aborted (the client went away), true after the delay. */
export async function pause(milliseconds: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  if (milliseconds <= 0) return true;
  try {
    await sleep(milliseconds, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

function waitForDrain(response: ServerResponse, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (drained: boolean) => {
      response.off('drain', onDrain);
      signal.removeEventListener('abort', onAbort);
      resolve(drained);
    };
    const onDrain = () => done(true);
    const onAbort = () => done(false);
    response.on('drain', onDrain);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Lets what was written reach the socket, then destroys it mid-response. */
function cutConnection(response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const socket = response.socket;
    if (!socket || socket.destroyed) {
      response.destroy();
      resolve();
      return;
    }
    // An empty write's callback fires once everything queued before it was flushed.
    socket.write('', () => {
      socket.destroy();
      resolve();
    });
  });
}
