import type { EncodedLogEntry, LogEntry } from '@agent-sessions/core';
import { isLogSubscription } from '@agent-sessions/core';
import type { BatchedWriter } from './batched-writer.js';
import type { SessionServicePort } from './service-port.js';

/**
 * Pipes a session's log (replay after `after`, then live) into a client's writer, pausing
 * while the client is behind: the engine is pulled only as fast as the client reads, so a
 * slow reader costs bounded memory. Resolves when `signal` aborts, the log ends, the writer
 * overflows, or the client stalls for `stallTimeoutMs` (then `onStall` runs).
 *
 * Entries are taken a batch at a time (one await per batch, not per entry). With
 * `encodeJson`, each entry arrives as its stored JSON text (`seq` included) and is framed from
 * that, so replay neither parses nor re-encodes it; `encode` is then used only when the
 * subscription cannot give text.
 *
 * @example
 * ```ts
 * void pumpSubscription({ service, sessionId, after, writer, signal, encode: JSON.stringify,
 *   encodeJson: (entry) => entry.json, highWaterBytes: 4 << 20, stallTimeoutMs: 30_000, onStall });
 * ```
 */
export async function pumpSubscription(options: {
  service: SessionServicePort;
  sessionId: string;
  after: number;
  writer: BatchedWriter;
  signal: AbortSignal;
  encode: (entry: LogEntry) => string;
  /** Frames an entry from its JSON text; must give what `encode` gives for the parsed entry. */
  encodeJson?: (entry: EncodedLogEntry) => string;
  highWaterBytes: number;
  stallTimeoutMs: number;
  onStall: () => void;
}): Promise<void> {
  const { signal, encodeJson } = options;
  if (signal.aborted) return;
  const subscription = options.service.subscribe(options.sessionId, {
    after: options.after,
    signal,
  });
  if (isLogSubscription(subscription)) {
    if (encodeJson) {
      return pipeBatches(subscription.jsonPages()[Symbol.asyncIterator](), encodeJson, options);
    }
    return pipeBatches(subscription.pages()[Symbol.asyncIterator](), options.encode, options);
  }
  // Any other AsyncIterable of entries: one entry per batch.
  const entries = subscription[Symbol.asyncIterator]();
  const single: AsyncIterator<LogEntry[]> = {
    next: async () => {
      const next = await entries.next();
      return next.done ? { done: true, value: undefined } : { done: false, value: [next.value] };
    },
    return: async () => {
      await entries.return?.();
      return { done: true, value: undefined };
    },
  };
  return pipeBatches(single, options.encode, options);
}

async function pipeBatches<T>(
  iterator: AsyncIterator<T[]>,
  encode: (entry: T) => string,
  options: {
    writer: BatchedWriter;
    signal: AbortSignal;
    highWaterBytes: number;
    stallTimeoutMs: number;
    onStall: () => void;
  },
): Promise<void> {
  const { writer, signal, highWaterBytes } = options;
  const aborted = new Promise<'aborted'>((resolve) => {
    signal.addEventListener('abort', () => resolve('aborted'), { once: true });
  });
  try {
    for (;;) {
      const next = await Promise.race([iterator.next(), aborted]);
      if (next === 'aborted' || next.done) return;
      for (const entry of next.value) {
        if (signal.aborted) return;
        if (!writer.send(encode(entry))) return;
        // Checked per entry: a batch of live entries can be large when the client is behind.
        if (writer.pendingBytes() > highWaterBytes) {
          const room = await writer.waitForRoom(options.stallTimeoutMs);
          if (!room) {
            if (!signal.aborted) options.onStall();
            return;
          }
        }
      }
    }
  } finally {
    // Not awaited: a generator parked in next() settles its return() only after that next().
    void Promise.resolve(iterator.return?.()).catch(() => {});
  }
}
