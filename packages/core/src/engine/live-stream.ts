/**
 * The topic a session's token-level `stream_event` messages are published on (payload:
 * {@link LiveStreamEvent}). They are never committed and carry no seq: a subscriber that misses
 * some loses only the live typing effect, never content (the committed `assistant` entry holds
 * the whole block).
 *
 * @example
 * ```ts
 * const stop = await bus.subscribe(streamTopic(sessionId), (payload) => {
 *   const { afterSeq, message } = payload as LiveStreamEvent;
 * });
 * ```
 */
export function streamTopic(sessionId: string): string {
  return `stream:${sessionId}`;
}

/** What is published on {@link streamTopic}. */
export interface LiveStreamEvent {
  /**
   * The seq of the last log entry the session had committed when this event arrived. A
   * subscriber that has not delivered that entry yet must hold or drop the event, or it would
   * show the text of a block before the entries that come before it.
   */
  afterSeq: number;
  /** The SDK's `stream_event` message, verbatim (`type: 'stream_event'`, `event`, ...). */
  message: Record<string, unknown>;
}

/** Narrows a bus payload to a {@link LiveStreamEvent}. */
export function isLiveStreamEvent(value: unknown): value is LiveStreamEvent {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    typeof candidate.afterSeq === 'number' &&
    typeof candidate.message === 'object' &&
    candidate.message !== null
  );
}
