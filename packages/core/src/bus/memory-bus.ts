import type { Bus, BusHandler } from './bus.js';

export interface MemoryBusOptions {
  /**
   * Called when a handler throws. A handler's failure never reaches the publisher or the other
   * subscribers. Default: `console.error`.
   */
  onHandlerError?: (error: unknown, topic: string) => void;
}

/**
 * The in-process {@link Bus}: `publish` delivers synchronously, in publish order, to every
 * handler subscribed when it is called. Messages are passed by reference (no copy), so handlers
 * must treat them as read-only.
 *
 * @example
 * ```ts
 * const bus = createMemoryBus();
 * const stop = await bus.subscribe('log:s1', (message) => console.log(message));
 * await bus.publish('log:s1', [{ seq: 1, type: 'session.status', status: 'idle' }]);
 * await stop();
 * ```
 */
export function createMemoryBus(options: MemoryBusOptions = {}): Bus {
  const onHandlerError =
    options.onHandlerError ??
    ((error: unknown, topic: string) => console.error(`Bus handler failed on ${topic}:`, error));
  const topics = new Map<string, Set<{ handler: BusHandler; active: boolean }>>();
  let closed = false;

  return {
    async publish(topic, message) {
      if (closed) return;
      const subscriptions = topics.get(topic);
      if (!subscriptions) return;
      // A snapshot: a handler that subscribes while we deliver starts with the next message.
      for (const subscription of [...subscriptions]) {
        if (!subscription.active) continue;
        try {
          subscription.handler(message);
        } catch (error) {
          onHandlerError(error, topic);
        }
      }
    },

    async subscribe(topic, handler) {
      if (closed) throw new Error('The bus is closed.');
      const subscription = { handler, active: true };
      let subscriptions = topics.get(topic);
      if (!subscriptions) {
        subscriptions = new Set();
        topics.set(topic, subscriptions);
      }
      subscriptions.add(subscription);
      return async () => {
        subscription.active = false;
        const current = topics.get(topic);
        current?.delete(subscription);
        if (current?.size === 0) topics.delete(topic);
      };
    },

    async close() {
      closed = true;
      for (const subscriptions of topics.values()) {
        for (const subscription of subscriptions) subscription.active = false;
      }
      topics.clear();
    },
  };
}
