import type { Bus, LogEntry } from '@agent-sessions/core';

/**
 * Wraps a Bus so the server sees every committed entry the engine publishes (the engine
 * publishes only after commit), without a subscription per session: metrics are derived from
 * the same entries clients get.
 *
 * @example
 * ```ts
 * const bus = createObservedBus(createMemoryBus(), (sessionId, entries) => metrics.observe(sessionId, entries));
 * ```
 */
export function createObservedBus(
  bus: Bus,
  observe: (sessionId: string, entries: LogEntry[]) => void,
): Bus {
  return {
    async publish(topic, message) {
      if (topic.startsWith('log:')) {
        const entries = Array.isArray(message) ? message : [message];
        try {
          observe(topic.slice(4), entries as LogEntry[]);
        } catch {
          // Metrics must never break delivery.
        }
      }
      return bus.publish(topic, message);
    },
    subscribe: (topic, handler) => bus.subscribe(topic, handler),
    close: () => bus.close(),
  };
}
