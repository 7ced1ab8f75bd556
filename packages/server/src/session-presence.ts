import type { Logger } from 'pino';

export interface SessionPresence {
  /** A client opened the session: cancel a pending hibernation, warm the runner. */
  join(sessionId: string): void;
  /** A client left; the last one leaving starts the grace period before hibernation. */
  leave(sessionId: string): void;
  subscriberCount(sessionId: string): number;
  /** Cancels every pending hibernation (shutdown). */
  clear(): void;
}

/**
 * Tracks who is watching each session. Opening a session warms its runner in the background
 * (the user is about to type, so the cold start is hidden); when the last subscriber leaves,
 * the runner is hibernated after `graceMs` (the seed's 60 s clean-up, but the session and its
 * log are kept: only the CLI process is released).
 *
 * @example
 * ```ts
 * const presence = createSessionPresence({ graceMs: 60_000, warm: service.warm, hibernate: service.hibernate });
 * presence.join(sessionId); // on connect
 * presence.leave(sessionId); // on close
 * ```
 */
export function createSessionPresence(options: {
  graceMs: number;
  warm: (sessionId: string) => Promise<unknown>;
  hibernate: (sessionId: string) => Promise<unknown>;
  logger: Logger;
}): SessionPresence {
  const counts = new Map<string, number>();
  const timers = new Map<string, NodeJS.Timeout>();
  return {
    join(sessionId) {
      counts.set(sessionId, (counts.get(sessionId) ?? 0) + 1);
      const timer = timers.get(sessionId);
      if (timer) {
        clearTimeout(timer);
        timers.delete(sessionId);
      }
      options.warm(sessionId).catch((error: unknown) => {
        options.logger.warn({ sessionId, err: error }, 'warming the runner failed');
      });
    },
    leave(sessionId) {
      const count = (counts.get(sessionId) ?? 1) - 1;
      if (count > 0) {
        counts.set(sessionId, count);
        return;
      }
      counts.delete(sessionId);
      const timer = setTimeout(() => {
        timers.delete(sessionId);
        if (counts.has(sessionId)) return;
        options.hibernate(sessionId).catch((error: unknown) => {
          options.logger.debug(
            { sessionId, err: error },
            'hibernation after the last subscriber failed',
          );
        });
      }, options.graceMs);
      timer.unref();
      timers.set(sessionId, timer);
    },
    subscriberCount: (sessionId) => counts.get(sessionId) ?? 0,
    clear() {
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
    },
  };
}
