import type { Bus } from '../bus/bus.js';
import { logTopic } from '../bus/bus.js';
import { encodeLogEntry } from '../store/log-entry-json.js';
import type {
  CommitInput,
  CommitResult,
  EncodedLogEntry,
  LogEntry,
  ReadOptions,
  Store,
} from '../store/store.js';

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

/** A {@link EncodedLogEntry} batch handler, like {@link EntriesHandler}. */
export type EncodedEntriesHandler = (entries: EncodedLogEntry[]) => void | Promise<void>;

/**
 * What {@link EventLog.subscribe} returns: the entries one by one (`for await`), or the same
 * stream in batches, which costs one await per batch instead of one per entry.
 */
export interface LogSubscription extends AsyncIterable<LogEntry> {
  /** The entries in batches (in order, contiguous, never empty). Iterate one form only. */
  pages(): AsyncIterable<LogEntry[]>;
  /**
   * The entries in batches as their JSON text (see `logEntryJson`): replay reads the stored
   * text without parsing it (`Store.readLogJson`), live entries reuse the text the store
   * recorded at commit. For servers that send entries as they are.
   */
  jsonPages(): AsyncIterable<EncodedLogEntry[]>;
}

/** True when `subscription` offers {@link LogSubscription.pages} and `jsonPages`. */
export function isLogSubscription(
  subscription: AsyncIterable<LogEntry>,
): subscription is LogSubscription {
  const candidate = subscription as Partial<LogSubscription>;
  return typeof candidate.pages === 'function' && typeof candidate.jsonPages === 'function';
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
  subscribe(sessionId: string, options?: SubscribeOptions): LogSubscription;
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
  /** {@link EventLog.follow} with each entry as its JSON text (see `LogSubscription.jsonPages`). */
  followJson(
    sessionId: string,
    onEntries: EncodedEntriesHandler,
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

  /** How one form of delivery reads the store and takes live entries. */
  interface Form<T extends { seq: number }> {
    read(sessionId: string, readOptions: ReadOptions): Promise<T[]>;
    live(entry: LogEntry): T;
  }
  const objectForm: Form<LogEntry> = {
    read: (sessionId, readOptions) => store.readLog(sessionId, readOptions),
    live: (entry) => entry,
  };
  const jsonForm: Form<EncodedLogEntry> = {
    read: async (sessionId, readOptions) =>
      store.readLogJson
        ? store.readLogJson(sessionId, readOptions)
        : (await store.readLog(sessionId, readOptions)).map(encodeLogEntry),
    live: encodeLogEntry,
  };

  async function followForm<T extends { seq: number }>(
    form: Form<T>,
    sessionId: string,
    onEntries: (entries: T[]) => void | Promise<void>,
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

    const deliver = async (entries: T[]): Promise<void> => {
      // Pages from the store start after `last` already; filter only when they do not.
      const fresh = (entries[0]?.seq ?? 0) > last ? entries : entries.filter((e) => e.seq > last);
      const tail = fresh.at(-1);
      if (stopped || !tail) return;
      last = tail.seq;
      await onEntries(fresh);
    };

    /** Delivers stored entries up to `until` (inclusive, or the whole log when undefined). */
    const readThrough = async (until?: number): Promise<void> => {
      while (!stopped && (until === undefined || last < until)) {
        const limit = until === undefined ? pageSize : Math.min(pageSize, until - last);
        const page = await form.read(sessionId, { after: last, limit });
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
          const contiguous: T[] = [];
          for (const entry of batch) {
            const expected = (contiguous.at(-1)?.seq ?? last) + 1;
            if (entry.seq < expected) continue;
            if (entry.seq > expected) {
              // A gap: deliver what we have, then take the rest from the store.
              await deliver(contiguous.splice(0));
              await readThrough(entry.seq);
              if (entry.seq !== last + 1) continue;
            }
            contiguous.push(form.live(entry));
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

  /**
   * A pull-based queue of batches over a follow: `next()` hands out what has arrived (at most
   * a page), and the follow waits (backpressure) while a page or more is waiting to be taken.
   */
  function batchIterator<T extends { seq: number }>(
    form: Form<T>,
    sessionId: string,
    subscribeOptions: SubscribeOptions,
  ): AsyncIterator<T[]> {
    let queue: T[] = [];
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
    const release = (): void => {
      drained?.();
      drained = null;
    };
    const finish = (): void => {
      finished = true;
      queue = [];
      release();
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
      stopFollowing = await followForm(
        form,
        sessionId,
        (entries) => {
          if (finished) return;
          if (queue.length === 0) queue = entries;
          else for (const entry of entries) queue.push(entry);
          notify();
          // Backpressure: replay reads the next page only once this one is taken.
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

    const end = async (): Promise<IteratorResult<T[]>> => {
      subscribeOptions.signal?.removeEventListener('abort', onAbort);
      finish();
      await stopFollowing?.();
      return { done: true, value: undefined };
    };

    return {
      async next(): Promise<IteratorResult<T[]>> {
        started ??= start();
        await started;
        for (;;) {
          if (queue.length > 0) {
            let batch: T[];
            if (queue.length <= pageSize) {
              batch = queue;
              queue = [];
            } else {
              batch = queue.splice(0, pageSize);
            }
            if (queue.length < pageSize) release();
            return { done: false, value: batch };
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

    follow: (sessionId, onEntries, followOptions) =>
      followForm(objectForm, sessionId, onEntries, followOptions),

    followJson: (sessionId, onEntries, followOptions) =>
      followForm(jsonForm, sessionId, onEntries, followOptions),

    subscribe(sessionId, subscribeOptions = {}) {
      return {
        pages: () => ({
          [Symbol.asyncIterator]: () => batchIterator(objectForm, sessionId, subscribeOptions),
        }),
        jsonPages: () => ({
          [Symbol.asyncIterator]: () => batchIterator(jsonForm, sessionId, subscribeOptions),
        }),
        [Symbol.asyncIterator](): AsyncIterator<LogEntry> {
          const batches = batchIterator(objectForm, sessionId, subscribeOptions);
          let current: LogEntry[] = [];
          let index = 0;
          return {
            async next(): Promise<IteratorResult<LogEntry>> {
              if (index >= current.length) {
                const result = await batches.next();
                if (result.done) return { done: true, value: undefined };
                current = result.value;
                index = 0;
              }
              const value = current[index] as LogEntry;
              index += 1;
              return { done: false, value };
            },
            async return(): Promise<IteratorResult<LogEntry>> {
              current = [];
              await batches.return?.();
              return { done: true, value: undefined };
            },
          };
        },
      };
    },
  };
}
