import type { LiveStreamEvent } from '@agent-sessions/core';
import type { BatchedWriter } from './batched-writer.js';

/** Where a connection gets a session's live token-level events (the engine's `followStream`). */
export interface LiveStreamSource {
  followStream(
    sessionId: string,
    onEvent: (event: LiveStreamEvent) => void,
  ): Promise<() => Promise<void>>;
}

export interface LiveStreamRelay {
  /**
   * Call with the seq of each committed entry as it is handed to the writer: events published
   * after that entry may go out now (right after it, never before).
   */
  delivered(seq: number): void;
  /** Stops listening; held events are dropped. */
  stop(): void;
}

export interface LiveStreamRelayOptions {
  source: LiveStreamSource;
  sessionId: string;
  writer: BatchedWriter;
  /** The client already has every entry up to this seq (its `after`). */
  after: number;
  encode: (message: Record<string, unknown>) => string;
  /** A stream frame is dropped instead of sent when it would take the writer past this. */
  highWaterBytes: number;
  signal: AbortSignal;
  /** Most events held while the client's log replay is behind them (default 512). */
  maxHeld?: number;
  onDropped?: (count: number) => void;
  onError?: (error: unknown) => void;
}

function startsBlock(message: Record<string, unknown>): boolean {
  const event = message.event as { type?: unknown } | undefined;
  return event?.type === 'content_block_start' || event?.type === 'message_start';
}

/**
 * Relays a session's live `stream_event`s (no seq, not in the log) into a client's writer, in
 * order with the committed entries: an event is sent only once the client has the entry the
 * engine had committed before it (until then it is held, boundedly). Stream frames are a
 * nicety, so they are the first thing to go: one that would push the client's buffer past
 * `highWaterBytes` is dropped (never growing the buffer toward its slow-consumer bound), and so
 * is the rest of that content block (a block shown with a hole would be worse than a block that
 * appears whole when its committed `assistant` entry arrives).
 *
 * @example
 * ```ts
 * const relay = startLiveStreamRelay({ source: service, sessionId, writer, after, encode: JSON.stringify, highWaterBytes, signal });
 * pumpSubscription({ ..., encode: (entry) => { relay.delivered(entry.seq); return JSON.stringify(entry); } });
 * ```
 */
export function startLiveStreamRelay(options: LiveStreamRelayOptions): LiveStreamRelay {
  const { writer, signal } = options;
  const maxHeld = options.maxHeld ?? 512;
  let deliveredSeq = options.after;
  let held: LiveStreamEvent[] = [];
  let skippingBlock = false;
  let flushScheduled = false;
  let stopped = false;
  let unsubscribe: (() => Promise<void>) | null = null;

  const drop = (count: number) => {
    skippingBlock = true;
    options.onDropped?.(count);
  };

  const forward = (event: LiveStreamEvent) => {
    if (startsBlock(event.message)) skippingBlock = false;
    if (skippingBlock) {
      options.onDropped?.(1);
      return;
    }
    const frame = options.encode(event.message);
    if (writer.pendingBytes() + Buffer.byteLength(frame) > options.highWaterBytes) {
      drop(1);
      return;
    }
    writer.send(frame);
  };

  /** Sends the held events that follow entries up to `limit` (in order). */
  const flushHeld = (limit: number) => {
    if (stopped) return;
    let index = 0;
    while (index < held.length && (held[index]?.afterSeq ?? Infinity) <= limit) {
      forward(held[index] as LiveStreamEvent);
      index++;
    }
    if (index > 0) held = held.slice(index);
  };

  const onEvent = (event: LiveStreamEvent) => {
    if (stopped) return;
    if (held.length === 0 && event.afterSeq <= deliveredSeq) {
      forward(event);
      return;
    }
    if (held.length >= maxHeld) {
      drop(held.length);
      held = [];
    }
    held.push(event);
  };

  const stop = () => {
    if (stopped) return;
    stopped = true;
    held = [];
    void unsubscribe?.().catch(() => {});
  };
  if (signal.aborted) stopped = true;
  else {
    signal.addEventListener('abort', stop, { once: true });
    options.source.followStream(options.sessionId, onEvent).then(
      (stopFollowing) => {
        if (stopped) void stopFollowing().catch(() => {});
        else unsubscribe = stopFollowing;
      },
      (error: unknown) => options.onError?.(error),
    );
  }

  return {
    delivered(seq) {
      if (seq <= deliveredSeq) return;
      // Events that follow earlier entries go out now, before this entry (the pump sends it
      // right after encoding it, so this is their exact place even within a batch).
      flushHeld(seq - 1);
      deliveredSeq = seq;
      if (held.length > 0 && !flushScheduled) {
        flushScheduled = true;
        // Events that follow this entry: once the writer took it.
        queueMicrotask(() => {
          flushScheduled = false;
          flushHeld(deliveredSeq);
        });
      }
    },
    stop,
  };
}
