import type { Bus } from '../bus/bus.js';
import { logTopic } from '../bus/bus.js';
import type { CommitInput, CommitResult, LogEntry, ReadOptions, Store } from '../store/store.js';

/** Receives entries in seq order, contiguous, each once. May return a promise (backpressure). */
export type EntriesHandler = (entries: LogEntry[]) => void | Promise<void>;

export interface SubscribeOptions {
  /** Deliver entries with `seq > after` (default 0: the whole log). */
  after?: number;
  /** Aborting ends the subscription (the iterator finishes, `follow` stops). */
  signal?: AbortSignal;
}

export interface FollowOptions extends SubscribeOptions {
  /** A store read failed: the subscription has stopped. Default: `console.error`. */
  onError?: (error: unknown) => void;
}

export interface EventLog {
  /**
   * Commits through the store, then publishes the committed entries on the bus (never
   * before). Resolves once both are done; rejects, publishing nothing, when the commit fails.
   */
  append(sessionId: string, input: CommitInput): Promise<CommitResult>;
  /** A page of the stored log (the HTTP `GET .../events?after=` body). */
  read(sessionId: string, options?: ReadOptions): Promise<LogEntry[]>;
  /**
   * Every entry with `seq > after`, from the store, then live ones from the bus: in order,
   * with no gap and no duplicate, even while appends race with the subscription. The
   * iteration ends when `signal` aborts or the loop breaks.
   */
  subscribe(sessionId: string, options?: SubscribeOptions): AsyncIterable<LogEntry>;
  /**
   * The callback form of {@link EventLog.subscribe}, for servers that push to sockets.
   * Resolves once the live subscription is active (so anything appended afterwards is sure
   * to be delivered) and returns the function that stops it. `onEntries` is called with
   * batches, never concurrently; when it returns a promise the next batch waits for it.
   */
  follow(
    sessionId: string,
    onEntries: EntriesHandler,
    options?: FollowOptions,
  ): Promise<() => Promise<void>>;
}

export interface EventLogOptions {
  store: Store;
  bus: Bus;
  /** Entries per store read during replay and gap filling (default 500). */
  pageSize?: number;
  /** A publish failed after a successful commit (subscribers catch up later). */
  onPublishError?: (error: unknown, sessionId: string) => void;
}

/**
 * The event log: the store's commit path plus live fan-out over the bus, and subscriptions
 * that replay from the store and switch to live without a gap or a duplicate.
 *
 * The switch works because the subscription listens to the bus FIRST and only then reads the
 * store: every entry is either already in the store when it is read, or published after the
 * listener is in place. Live entries at or below the last delivered seq are dropped; a live
 * entry beyond the next expected seq (the bus dropped or reordered something) makes the
 * subscription read the missing range from the store before going on.
 *
 * @example
 * ```ts
 * const log = createEventLog({ store: createMemoryStore(), bus: createMemoryBus() });
 * await log.append('s1', { entries: [{ type: 'session.status', status: 'running' }] });
 * const controller = new AbortController();
 * for await (const entry of log.subscribe('s1', { after: 0, signal: controller.signal })) {
 *   console.log(entry.seq, entry.type);
 * }
 * ```
 */
export function createEventLog(options: EventLogOptions): EventLog {
  const { store, bus } = options;
  const pageSize = Math.max(1, options.pageSize ?? 500);
  const onPublishError =
    options.onPublishError ??
    ((error: unknown, sessionId: string) =>
      console.error(`Publishing log entries of ${sessionId} failed:`, error));
  // Per session, the publication of the latest append: each append publishes after the one
  // before it, so one process publishes a session's entries in seq order.
  const publishTails = new Map<string, Promise<void>>();

  async function follow(
    sessionId: string,
    onEntries: EntriesHandler,
    followOptions: FollowOptions = {},
  ): Promise<() => Promise<void>> {
    const { signal } = followOptions;
    const onError =
      followOptions.onError ??
      ((error: unknown) => console.error(`Subscription to ${sessionId} failed:`, error));
    let last = Math.max(0, followOptions.after ?? 0);
    let live: LogEntry[] = [];
    let replayed = false;
    let pumping = false;
    let stopped = false;
    let unsubscribe: (() => Promise<void>) | null = null;

    const stop = async (): Promise<void> => {
      if (stopped) return;
      stopped = true;
      live = [];
      signal?.removeEventListener('abort', onAbort);
      await unsubscribe?.();
    };
    const onAbort = (): void => {
      void stop();
    };

    const deliver = async (entries: LogEntry[]): Promise<void> => {
      const fresh = entries.filter((entry) => entry.seq > last);
      const tail = fresh.at(-1);
      if (stopped || !tail) return;
      last = tail.seq;
      await onEntries(fresh);
    };

    /** Delivers stored entries up to `until` (inclusive, or the whole log when undefined). */
    const readThrough = async (until?: number): Promise<void> => {
      while (!stopped && (until === undefined || last < until)) {
        const limit = until === undefined ? pageSize : Math.min(pageSize, until - last);
        const page = await store.readLog(sessionId, { after: last, limit });
        if (stopped) return;
        await deliver(page);
        // A short page is the end of the stored log (or the session is gone).
        if (page.length < limit) return;
      }
    };

    const pump = async (): Promise<void> => {
      if (pumping) return;
      pumping = true;
      try {
        if (!replayed) {
          await readThrough();
          replayed = true;
        }
        while (!stopped && live.length > 0) {
          const batch = live.filter((entry) => entry.seq > last).sort((a, b) => a.seq - b.seq);
          live = [];
          const contiguous: LogEntry[] = [];
          for (const entry of batch) {
            const expected = (contiguous.at(-1)?.seq ?? last) + 1;
            if (entry.seq < expected) continue;
            if (entry.seq > expected) {
              // A gap: deliver what we have, then take the rest from the store.
              await deliver(contiguous.splice(0));
              await readThrough(entry.seq);
              if (entry.seq !== last + 1) continue;
            }
            contiguous.push(entry);
          }
          await deliver(contiguous);
        }
      } catch (error) {
        await stop();
        onError(error);
      } finally {
        pumping = false;
      }
    };

    if (signal?.aborted) return async () => {};
    signal?.addEventListener('abort', onAbort, { once: true });
    const ended = await bus.subscribe(logTopic(sessionId), (message) => {
      if (stopped || !Array.isArray(message)) return;
      for (const entry of message as LogEntry[]) live.push(entry);
      if (replayed) void pump();
    });
    if (stopped) {
      await ended();
      return async () => {};
    }
    unsubscribe = ended;
    void pump();
    return stop;
  }

  return {
    async append(sessionId, input) {
      const committed = store.commit(sessionId, input);
      // Handled at once: the tail may only look at it after earlier publications.
      const settled = committed.catch(() => null);
      const previous = publishTails.get(sessionId) ?? Promise.resolve();
      const tail = previous.then(async () => {
        const result = await settled;
        if (!result || result.entries.length === 0) return;
        try {
          await bus.publish(logTopic(sessionId), result.entries);
        } catch (error) {
          onPublishError(error, sessionId);
        }
      });
      publishTails.set(sessionId, tail);
      await tail;
      if (publishTails.get(sessionId) === tail) publishTails.delete(sessionId);
      return committed;
    },

    read(sessionId, readOptions) {
      return store.readLog(sessionId, readOptions);
    },

    follow,

    subscribe(sessionId, subscribeOptions = {}) {
      return {
        [Symbol.asyncIterator](): AsyncIterator<LogEntry> {
          const queue: LogEntry[] = [];
          let failure: { error: unknown } | null = null;
          let finished = false;
          let started: Promise<void> | null = null;
          let stopFollowing: (() => Promise<void>) | null = null;
          let wake: (() => void) | null = null;
          let drained: (() => void) | null = null;

          const notify = (): void => {
            wake?.();
            wake = null;
          };
          const finish = (): void => {
            finished = true;
            queue.length = 0;
            drained?.();
            drained = null;
            notify();
          };
          const onAbort = (): void => {
            finish();
            void stopFollowing?.();
          };

          const start = async (): Promise<void> => {
            const { signal } = subscribeOptions;
            if (signal?.aborted) {
              finish();
              return;
            }
            signal?.addEventListener('abort', onAbort, { once: true });
            stopFollowing = await follow(
              sessionId,
              (entries) => {
                if (finished) return;
                queue.push(...entries);
                notify();
                // Backpressure: replay reads the next page only once this one is consumed.
                if (queue.length < pageSize) return;
                return new Promise<void>((resolve) => {
                  drained = resolve;
                });
              },
              {
                after: subscribeOptions.after,
                signal,
                onError: (error) => {
                  failure = { error };
                  notify();
                },
              },
            );
            if (finished) await stopFollowing();
          };

          const end = async (): Promise<IteratorResult<LogEntry>> => {
            subscribeOptions.signal?.removeEventListener('abort', onAbort);
            finish();
            await stopFollowing?.();
            return { done: true, value: undefined };
          };

          return {
            async next(): Promise<IteratorResult<LogEntry>> {
              started ??= start();
              await started;
              for (;;) {
                const entry = queue.shift();
                if (entry) {
                  if (queue.length === 0) {
                    drained?.();
                    drained = null;
                  }
                  return { done: false, value: entry };
                }
                if (failure) {
                  const { error } = failure;
                  await end();
                  throw error;
                }
                if (finished) return end();
                await new Promise<void>((resolve) => {
                  wake = resolve;
                });
              }
            },
            return: end,
          };
        },
      };
    },
  };
}
