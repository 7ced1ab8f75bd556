import type { LogEntry } from '@agent-sessions/core';
import type { BatchedWriter } from './batched-writer.js';
import type { SessionServicePort } from './service-port.js';

/**
 * Pipes a session's log (replay after `after`, then live) into a client's writer, pausing
 * while the client is behind: the engine is pulled only as fast as the client reads, so a
 * slow reader costs bounded memory. Resolves when `signal` aborts, the log ends, the writer
 * overflows, or the client stalls for `stallTimeoutMs` (then `onStall` runs).
 *
 * @example
 * ```ts
 * void pumpSubscription({ service, sessionId, after, writer, signal, encode: JSON.stringify, stallTimeoutMs: 30_000, onStall });
 * ```
 */
export async function pumpSubscription(options: {
  service: SessionServicePort;
  sessionId: string;
  after: number;
  writer: BatchedWriter;
  signal: AbortSignal;
  encode: (entry: LogEntry) => string;
  highWaterBytes: number;
  stallTimeoutMs: number;
  onStall: () => void;
}): Promise<void> {
  const { writer, signal } = options;
  if (signal.aborted) return;
  const iterator = options.service
    .subscribe(options.sessionId, { after: options.after, signal })
    [Symbol.asyncIterator]();
  const aborted = new Promise<'aborted'>((resolve) => {
    signal.addEventListener('abort', () => resolve('aborted'), { once: true });
  });
  try {
    for (;;) {
      const next = await Promise.race([iterator.next(), aborted]);
      if (next === 'aborted' || next.done) return;
      if (!writer.send(options.encode(next.value))) return;
      if (writer.pendingBytes() > options.highWaterBytes) {
        const room = await writer.waitForRoom(options.stallTimeoutMs);
        if (!room) {
          if (!signal.aborted) options.onStall();
          return;
        }
      }
    }
  } finally {
    // Not awaited: a generator parked in next() settles its return() only after that next().
    void Promise.resolve(iterator.return?.()).catch(() => {});
  }
}
