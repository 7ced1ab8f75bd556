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
  // Pending `waitForRoom` calls: each re-checks when something may have freed room.
  const waiters = new Set<() => void>();
  const wakeWaiters = () => {
    for (const check of [...waiters]) check();
  };

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
    if (waiters.size > 0) wakeWaiters();
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
        wakeWaiters();
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
    waitForRoom(timeoutMs) {
      const lowWater = options.maxBufferedBytes / 2;
      const roomy = () => queuedBytes + target.bufferedBytes() <= lowWater;
      if (stopped) return Promise.resolve(false);
      if (roomy()) return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        const socket = target.socket();
        const listens = typeof socket?.on === 'function';
        let poll: ReturnType<typeof setInterval> | undefined;
        let deadline: ReturnType<typeof setTimeout> | undefined;
        const check = (): void => {
          if (stopped) done(false);
          else if (roomy()) done(true);
        };
        const done = (room: boolean): void => {
          clearTimeout(deadline);
          clearInterval(poll);
          waiters.delete(check);
          if (listens) {
            socket?.off('drain', check);
            socket?.off('close', check);
          }
          resolve(room);
        };
        // The socket says when its buffer empties; flush() and stop() check too. The slow poll
        // covers room freed without an event (a transport's own queue, a target with no socket).
        if (listens) {
          socket?.on('drain', check);
          socket?.on('close', check);
        }
        waiters.add(check);
        poll = setInterval(check, listens ? 100 : 10);
        deadline = setTimeout(() => done(false), timeoutMs);
      });
    },
    stop() {
      stopped = true;
      queue = [];
      queuedBytes = 0;
      wakeWaiters();
    },
  };
}
