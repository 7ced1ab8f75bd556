import type { Bus, EncodedLogEntry, EventLog, LogEntry, Store } from '@agent-sessions/core';
import { createEventLog, logTopic } from '@agent-sessions/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nextTick, waitFor } from './wait-for.js';

/** A store and a bus to build an event log on; `cleanup` runs after both are closed. */
export interface EventLogFixture {
  store: Store;
  bus: Bus;
  cleanup?: () => Promise<void>;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, index) => from + index);
}

/** A bus wrapper that lets a test drop publishes, count subscriptions and watch publishes. */
function instrument(bus: Bus) {
  const state = {
    active: 0,
    drop: (_message: unknown): boolean => false,
    onPublish: async (_topic: string, _message: unknown): Promise<void> => {},
  };
  const wrapped: Bus = {
    async publish(topic, message) {
      await state.onPublish(topic, message);
      if (state.drop(message)) return;
      await bus.publish(topic, message);
    },
    async subscribe(topic, handler) {
      const stop = await bus.subscribe(topic, handler);
      state.active += 1;
      let stopped = false;
      return async () => {
        if (!stopped) state.active -= 1;
        stopped = true;
        await stop();
      };
    },
    close: () => bus.close(),
  };
  return { bus: wrapped, state };
}

/**
 * The same store with reads that take a few macrotasks, like a remote database: appends then
 * interleave with a subscription's replay, which is the race the event log must survive.
 */
function withSlowReads(store: Store): Store {
  const slow = Object.create(store) as Store;
  slow.readLog = async (sessionId, options) => {
    await nextTick();
    const entries = await store.readLog(sessionId, options);
    await nextTick();
    return entries;
  };
  const { readLogJson } = store;
  if (readLogJson) {
    slow.readLogJson = async (sessionId, options) => {
      await nextTick();
      const entries = await readLogJson.call(store, sessionId, options);
      await nextTick();
      return entries;
    };
  }
  return slow;
}

/** Collects batches (`pages()`, `jsonPages()`) until `count` items arrived (or they ended). */
async function collectPages<T>(
  iterable: AsyncIterable<T[]>,
  count: number,
): Promise<{ items: T[]; batches: number }> {
  const items: T[] = [];
  let batches = 0;
  if (count === 0) return { items, batches };
  for await (const batch of iterable) {
    expect(batch.length).toBeGreaterThan(0);
    batches += 1;
    items.push(...batch);
    if (items.length >= count) break;
  }
  return { items, batches };
}

/** Collects a subscription into an array until `count` entries arrived (or it ended). */
async function collect(iterable: AsyncIterable<LogEntry>, count: number): Promise<LogEntry[]> {
  const entries: LogEntry[] = [];
  if (count === 0) return entries;
  for await (const entry of iterable) {
    entries.push(entry);
    if (entries.length >= count) break;
  }
  return entries;
}

/**
 * The conformance suite of the event log (`createEventLog`) on a given store and bus: replay
 * then live with no gap and no duplicate, also while appends race with the subscription.
 *
 * @example
 * ```ts
 * describeEventLogConformance('memory', async () => ({
 *   store: createMemoryStore(),
 *   bus: createMemoryBus(),
 * }));
 * ```
 */
export function describeEventLogConformance(
  name: string,
  factory: () => Promise<EventLogFixture>,
): void {
  describe(`EventLog conformance: ${name}`, () => {
    let store: Store;
    let instrumented: ReturnType<typeof instrument>;
    let log: EventLog;
    let cleanup: (() => Promise<void>) | undefined;

    beforeEach(async () => {
      const fixture = await factory();
      store = fixture.store;
      instrumented = instrument(fixture.bus);
      cleanup = fixture.cleanup;
      log = createEventLog({ store, bus: instrumented.bus, pageSize: 7 });
      await store.createSession({ id: 's1', tenantId: 't' });
    });

    afterEach(async () => {
      await instrumented.bus.close();
      await store.close();
      await cleanup?.();
    });

    it('publishes only what is committed, in seq order', async () => {
      const published: number[] = [];
      instrumented.state.onPublish = async (topic, message) => {
        expect(topic).toBe(logTopic('s1'));
        const entries = message as LogEntry[];
        // Durable before anyone sees it: the store already has every published seq.
        expect(await store.lastSeq('s1')).toBeGreaterThanOrEqual(entries.at(-1)!.seq);
        published.push(...entries.map((entry) => entry.seq));
      };
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, index) =>
          log.append('s1', {
            entries: Array.from({ length: 1 + (index % 3) }, () => ({ type: 'e', index })),
          }),
        ),
      );
      const total = results.reduce((sum, result) => sum + result.entries.length, 0);
      expect(published).toEqual(range(1, total));
      await expect(log.append('ghost', { entries: [{ type: 'x' }] })).rejects.toThrow();
      expect(published).toHaveLength(total);
      expect((await log.read('s1', { after: total - 1 })).map((entry) => entry.seq)).toEqual([
        total,
      ]);
    });

    it('replays the stored log after a seq, then delivers live entries', async () => {
      await log.append('s1', {
        entries: Array.from({ length: 20 }, (_, index) => ({ type: 'old', index })),
      });
      const controller = new AbortController();
      const iterator = log
        .subscribe('s1', { after: 5, signal: controller.signal })
        [Symbol.asyncIterator]();
      const received: LogEntry[] = [];
      for (let index = 0; index < 15; index += 1) {
        const next = await iterator.next();
        expect(next.done).toBe(false);
        received.push(next.value as LogEntry);
      }
      expect(received.map((entry) => entry.seq)).toEqual(range(6, 20));
      expect(received[0]).toEqual({ type: 'old', index: 5, seq: 6 });
      const pending = iterator.next();
      await log.append('s1', {
        entries: [
          { type: 'live', n: 1 },
          { type: 'live', n: 2 },
        ],
      });
      expect((await pending).value).toEqual({ type: 'live', n: 1, seq: 21 });
      expect((await iterator.next()).value).toEqual({ type: 'live', n: 2, seq: 22 });
      // Abort ends the iterator, also while it waits.
      const waiting = iterator.next();
      controller.abort();
      expect(await waiting).toEqual({ done: true, value: undefined });
      await waitFor(() => instrumented.state.active === 0, 'the bus subscription to end');
    });

    it('has no gap and no duplicate while appends race with the subscription', async () => {
      // Subscriptions read through a slow store so replay pages interleave with appends.
      const racing = createEventLog({
        store: withSlowReads(store),
        bus: instrumented.bus,
        pageSize: 4,
      });
      for (let round = 0; round < 6; round += 1) {
        const sessionId = `race-${round}`;
        await store.createSession({ id: sessionId, tenantId: 't' });
        const initial = 10 + round * 5;
        await log.append(sessionId, {
          entries: Array.from({ length: initial }, (_, index) => ({ type: 'pre', index })),
        });
        const writers = 6;
        const appendsPerWriter = 15;
        let appended = initial;
        const writing = Promise.all(
          Array.from({ length: writers }, async (_, writer) => {
            for (let index = 0; index < appendsPerWriter; index += 1) {
              const size = 1 + ((writer + index + round) % 3);
              const result = await log.append(sessionId, {
                entries: Array.from({ length: size }, () => ({ type: 'race', writer, index })),
              });
              appended = Math.max(appended, result.entries.at(-1)!.seq);
              if ((index + writer) % 2 === 0) await nextTick();
            }
          }),
        );
        // Subscribe while the writers run, at a different point each round.
        for (let wait = 0; wait < round * 2 + 1; wait += 1) await nextTick();
        const after = round % 2 === 0 ? initial : Math.max(0, initial - 3);
        const controller = new AbortController();
        const followed: LogEntry[] = [];
        const stopFollowing = await racing.follow(
          sessionId,
          (entries) => {
            followed.push(...entries);
          },
          { after },
        );
        const expectedTotal = initial + writers * appendsPerWriter * 2;
        const iterating = collect(
          racing.subscribe(sessionId, { after, signal: controller.signal }),
          expectedTotal - after,
        );
        const paging = collectPages(
          racing.subscribe(sessionId, { after, signal: controller.signal }).pages(),
          expectedTotal - after,
        );
        const jsonPaging = collectPages<EncodedLogEntry>(
          racing.subscribe(sessionId, { after, signal: controller.signal }).jsonPages(),
          expectedTotal - after,
        );
        await writing;
        const total = await store.lastSeq(sessionId);
        expect(total).toBe(appended);
        expect(total).toBe(expectedTotal);
        const iterated = await iterating;
        const paged = (await paging).items;
        const encoded = (await jsonPaging).items;
        controller.abort();
        await waitFor(() => followed.length >= total - after, 'follow to catch up');
        await nextTick();
        await stopFollowing();
        expect(iterated.map((entry) => entry.seq)).toEqual(range(after + 1, total));
        expect(followed.map((entry) => entry.seq)).toEqual(range(after + 1, total));
        const stored = await store.readLog(sessionId, { after });
        expect(iterated).toEqual(stored);
        expect(paged).toEqual(stored);
        // Text form: the same entries, each exactly as JSON.stringify would have sent it.
        expect(encoded.map((entry) => entry.seq)).toEqual(range(after + 1, total));
        expect(encoded.map((entry) => entry.json)).toEqual(
          stored.map((entry) => JSON.stringify(entry)),
        );
      }
    });

    it('hands out replay in batches of at most a page, then live batches', async () => {
      await log.append('s1', {
        entries: Array.from({ length: 30 }, (_, index) => ({ type: 'old', index })),
      });
      const controller = new AbortController();
      const iterator = log
        .subscribe('s1', { signal: controller.signal })
        .jsonPages()
        [Symbol.asyncIterator]();
      const sizes: number[] = [];
      let received = 0;
      while (received < 30) {
        const next = await iterator.next();
        expect(next.done).toBe(false);
        const batch = next.value as EncodedLogEntry[];
        sizes.push(batch.length);
        received += batch.length;
      }
      // pageSize is 7 in this suite: far fewer awaits than entries, none over a page.
      expect(received).toBe(30);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(7);
      expect(sizes.length).toBeLessThan(30);
      const pending = iterator.next();
      await log.append('s1', {
        entries: [
          { type: 'live', n: 1 },
          { type: 'live', n: 2 },
        ],
      });
      const live = (await pending).value as EncodedLogEntry[];
      expect(live.map((entry) => JSON.parse(entry.json))).toEqual([
        { type: 'live', n: 1, seq: 31 },
        { type: 'live', n: 2, seq: 32 },
      ]);
      const waiting = iterator.next();
      controller.abort();
      expect(await waiting).toEqual({ done: true, value: undefined });
      await waitFor(() => instrumented.state.active === 0, 'the bus subscription to end');
    });

    it('fills a gap from the store when the bus drops a publish', async () => {
      const controller = new AbortController();
      const iterable = log.subscribe('s1', { signal: controller.signal });
      const receiving = collect(iterable, 6);
      await log.append('s1', { entries: [{ type: 'a' }] });
      await waitFor(() => instrumented.state.active === 1, 'the subscription');
      instrumented.state.drop = (message) =>
        (message as LogEntry[]).some((entry) => entry.type === 'dropped');
      await log.append('s1', { entries: [{ type: 'dropped' }, { type: 'dropped' }] });
      await log.append('s1', { entries: [{ type: 'b' }] });
      await log.append('s1', { entries: [{ type: 'dropped' }] });
      await log.append('s1', { entries: [{ type: 'c' }] });
      const received = await receiving;
      controller.abort();
      expect(received.map((entry) => [entry.seq, entry.type])).toEqual([
        [1, 'a'],
        [2, 'dropped'],
        [3, 'dropped'],
        [4, 'b'],
        [5, 'dropped'],
        [6, 'c'],
      ]);
    });

    it('ends the iteration on abort and on break, releasing the bus subscription', async () => {
      await log.append('s1', { entries: [{ type: 'a' }, { type: 'b' }, { type: 'c' }] });
      const aborted = new AbortController();
      aborted.abort();
      expect(await collect(log.subscribe('s1', { signal: aborted.signal }), 3)).toEqual([]);

      const first = await collect(log.subscribe('s1', { after: 1 }), 1);
      expect(first.map((entry) => entry.seq)).toEqual([2]);
      await waitFor(() => instrumented.state.active === 0, 'break to unsubscribe');

      const controller = new AbortController();
      const received: LogEntry[] = [];
      const consuming = (async () => {
        for await (const entry of log.subscribe('s1', { signal: controller.signal })) {
          received.push(entry);
        }
      })();
      await waitFor(() => received.length === 3, 'the replay');
      controller.abort();
      await consuming;
      await waitFor(() => instrumented.state.active === 0, 'abort to unsubscribe');
      await log.append('s1', { entries: [{ type: 'after abort' }] });
      await nextTick();
      expect(received.map((entry) => entry.seq)).toEqual([1, 2, 3]);
    });

    it('stops follow() and delivers nothing after stop', async () => {
      const received: LogEntry[] = [];
      const stop = await log.follow('s1', (entries) => {
        received.push(...entries);
      });
      await log.append('s1', { entries: [{ type: 'a' }] });
      await waitFor(() => received.length === 1, 'one live entry');
      await stop();
      expect(instrumented.state.active).toBe(0);
      await log.append('s1', { entries: [{ type: 'b' }] });
      await nextTick();
      expect(received.map((entry) => entry.type)).toEqual(['a']);
    });
  });
}
