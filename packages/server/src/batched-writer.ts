import type { Socket } from 'node:net';

/** What a batched writer needs from its transport. */
export interface WriterTarget {
  /** Writes one frame (already serialized). */
  write(frame: string): void;
  /** Bytes the transport holds and has not handed to the kernel yet. */
  bufferedBytes(): number;
  /** The raw TCP socket, corked around a batch so a tick's frames leave in one syscall. */
  socket(): Socket | null | undefined;
}

export interface BatchedWriter {
  /** Queues a frame; false when the client is over its bound (it has been cut). */
  send(frame: string): boolean;
  /** Writes everything pending now. */
  flush(): void;
  /** Bytes queued here plus bytes the transport still buffers. */
  pendingBytes(): number;
  /**
   * Resolves true once pending bytes fall below half the bound (the producer may go on), false
   * when `timeoutMs` passes first or the writer stopped: a reader that stalls that long is cut.
   */
  waitForRoom(timeoutMs: number): Promise<boolean>;
  /** Stops writing; pending frames are dropped. */
  stop(): void;
}

/**
 * Frames queued during one tick go out together on the next, with the socket corked: one
 * write syscall per tick instead of one per frame (raw `ws` is syscall-bound, see
 * docs/operations.md). The queue is bounded: when this client's unsent bytes (queue plus the
 * transport's own buffer) pass `maxBufferedBytes`, `onOverflow` runs once and the writer stops,
 * so a client that does not read costs the server at most about that much memory.
 *
 * @example
 * ```ts
 * const writer = createBatchedWriter(wsTarget(ws), { maxBufferedBytes: 8 << 20, onOverflow: () => ws.close(4008) });
 * writer.send(JSON.stringify(entry));
 * ```
 */
export function createBatchedWriter(
  target: WriterTarget,
  options: { maxBufferedBytes: number; onOverflow: () => void },
): BatchedWriter {
  let queue: string[] = [];
  let queuedBytes = 0;
  let scheduled = false;
  let stopped = false;

  const flush = () => {
    scheduled = false;
    if (stopped || queue.length === 0) return;
    const batch = queue;
    queue = [];
    queuedBytes = 0;
    const socket = target.socket();
    socket?.cork();
    try {
      for (const frame of batch) target.write(frame);
    } finally {
      socket?.uncork();
    }
  };

  return {
    send(frame) {
      if (stopped) return false;
      queuedBytes += Buffer.byteLength(frame);
      if (queuedBytes + target.bufferedBytes() > options.maxBufferedBytes) {
        stopped = true;
        queue = [];
        queuedBytes = 0;
        options.onOverflow();
        return false;
      }
      queue.push(frame);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
      return true;
    },
    flush,
    pendingBytes: () => queuedBytes + target.bufferedBytes(),
    async waitForRoom(timeoutMs) {
      const lowWater = options.maxBufferedBytes / 2;
      const deadline = Date.now() + timeoutMs;
      while (!stopped && queuedBytes + target.bufferedBytes() > lowWater) {
        if (Date.now() >= deadline) return false;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return !stopped;
    },
    stop() {
      stopped = true;
      queue = [];
      queuedBytes = 0;
    },
  };
}
