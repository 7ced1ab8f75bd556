import type { Bus } from '@agent-sessions/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nextTick, waitFor } from './wait-for.js';

/** What a bus factory hands the suite; `cleanup` runs after `bus.close()`. */
export interface BusFixture {
  bus: Bus;
  cleanup?: () => Promise<void>;
}

/**
 * The conformance suite every {@link Bus} implementation runs. `factory` gives a fresh bus
 * per test. Delivery may be asynchronous: the suite waits for it, but never accepts reordering
 * within a topic, a lost message after `subscribe` resolved, or a throwing handler that hurts
 * its neighbours.
 *
 * @example
 * ```ts
 * describeBusConformance('memory', async () => ({ bus: createMemoryBus() }));
 * ```
 */
export function describeBusConformance(name: string, factory: () => Promise<BusFixture>): void {
  describe(`Bus conformance: ${name}`, () => {
    let bus: Bus;
    let cleanup: (() => Promise<void>) | undefined;

    beforeEach(async () => {
      const fixture = await factory();
      bus = fixture.bus;
      cleanup = fixture.cleanup;
    });

    afterEach(async () => {
      await bus.close();
      await cleanup?.();
    });

    it('delivers a message published after subscribe resolved to every subscriber once', async () => {
      const first: unknown[] = [];
      const second: unknown[] = [];
      await bus.subscribe('topic', (message) => first.push(message));
      await bus.subscribe('topic', (message) => second.push(message));
      const message = [{ seq: 1, type: 'assistant', nested: { a: [1, 'b', null] } }];
      await bus.publish('topic', message);
      await waitFor(() => first.length === 1 && second.length === 1, 'both deliveries');
      expect(first).toEqual([message]);
      expect(second).toEqual([message]);
      await nextTick();
      expect(first).toHaveLength(1);
    });

    it('keeps the order of one topic', async () => {
      const received: number[] = [];
      await bus.subscribe('ordered', (message) => received.push(message as number));
      const count = 500;
      await Promise.all(Array.from({ length: count }, (_, index) => bus.publish('ordered', index)));
      await waitFor(() => received.length === count, `${count} deliveries`);
      expect(received).toEqual(Array.from({ length: count }, (_, index) => index));
    });

    it('keeps topics apart', async () => {
      const a: unknown[] = [];
      const b: unknown[] = [];
      await bus.subscribe('a', (message) => a.push(message));
      await bus.subscribe('b', (message) => b.push(message));
      await bus.publish('a', 'for a');
      await bus.publish('b', 'for b');
      await bus.publish('c', 'for nobody');
      await waitFor(() => a.length === 1 && b.length === 1, 'one delivery per topic');
      await nextTick();
      expect(a).toEqual(['for a']);
      expect(b).toEqual(['for b']);
    });

    it('stops delivering after unsubscribe, and other subscribers keep theirs', async () => {
      const stopped: unknown[] = [];
      const kept: unknown[] = [];
      const stop = await bus.subscribe('topic', (message) => stopped.push(message));
      await bus.subscribe('topic', (message) => kept.push(message));
      await bus.publish('topic', 1);
      await waitFor(() => stopped.length === 1 && kept.length === 1, 'first delivery');
      await stop();
      await bus.publish('topic', 2);
      await waitFor(() => kept.length === 2, 'second delivery to the kept subscriber');
      await nextTick();
      expect(stopped).toEqual([1]);
      expect(kept).toEqual([1, 2]);
      // Stopping twice is harmless.
      await stop();
    });

    it('isolates a throwing handler from the publisher and the other subscribers', async () => {
      const received: unknown[] = [];
      await bus.subscribe('topic', () => {
        throw new Error('handler failure (expected by the test)');
      });
      await bus.subscribe('topic', (message) => received.push(message));
      await expect(bus.publish('topic', 'one')).resolves.toBeUndefined();
      await bus.publish('topic', 'two');
      await waitFor(() => received.length === 2, 'deliveries despite the throwing handler');
      expect(received).toEqual(['one', 'two']);
    });

    it('lets a handler subscribe and publish from inside a delivery', async () => {
      const received: string[] = [];
      await bus.subscribe('outer', (message) => {
        received.push(`outer:${String(message)}`);
        if (message === 'first') void bus.publish('inner', 'from handler');
      });
      await bus.subscribe('inner', (message) => received.push(`inner:${String(message)}`));
      await bus.publish('outer', 'first');
      await waitFor(() => received.length === 2, 'nested delivery');
      expect(received).toEqual(['outer:first', 'inner:from handler']);
    });
  });
}
