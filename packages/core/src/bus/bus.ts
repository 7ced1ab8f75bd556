/**
 * The `Bus` seam: live fan-out of committed log entries (and wake-ups) between the parts of
 * one process or, with Redis, between nodes. A Bus carries only what a Store has already
 * committed; it may drop or delay (subscribers close gaps from the Store), but it never
 * reorders the messages of one topic as published by one publisher.
 *
 * Implementations: `createMemoryBus()` in core, Redis in its own package, all through the
 * shared conformance suite in `@agent-sessions/conformance`.
 */
export type BusHandler = (message: unknown) => void;

export interface Bus {
  /** Delivers `message` to every current subscriber of `topic`. */
  publish(topic: string, message: unknown): Promise<void>;
  /** Resolves once the subscription is active; returns the function that ends it. */
  subscribe(topic: string, handler: BusHandler): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** The topic a session's committed log entries are published on (payload: `LogEntry[]`). */
export function logTopic(sessionId: string): string {
  return `log:${sessionId}`;
}
