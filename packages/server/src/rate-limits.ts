import { AgentSessionsError } from '@agent-sessions/protocol';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

export interface RateLimits {
  /** Counts one request or frame for a key; throws RATE_LIMITED (with `retryAfterMs`) when over. */
  consumeRequest(keyId: string): Promise<void>;
  /** Counts one user message for a key. */
  consumeMessage(keyId: string): Promise<void>;
}

/** An error carrying how long the caller should wait. */
export function retryAfterMsOf(error: unknown): number | undefined {
  if (!AgentSessionsError.is(error)) return undefined;
  const details = error.details as { retryAfterMs?: number } | undefined;
  return details?.retryAfterMs;
}

/**
 * Per-key token buckets (rate-limiter-flexible, in memory: one process; a Redis limiter slots
 * in for a fleet).
 *
 * @example
 * ```ts
 * const limits = createRateLimits({ requestsPerMinute: 1200, messagesPerMinute: 120 });
 * await limits.consumeRequest(principal.keyId); // throws RATE_LIMITED when over
 * ```
 */
export function createRateLimits(options: {
  requestsPerMinute: number;
  messagesPerMinute: number;
  onReject?: (scope: 'request' | 'message') => void;
}): RateLimits {
  const requests = new RateLimiterMemory({ points: options.requestsPerMinute, duration: 60 });
  const messages = new RateLimiterMemory({ points: options.messagesPerMinute, duration: 60 });
  const consume = async (limiter: RateLimiterMemory, key: string, scope: 'request' | 'message') => {
    try {
      await limiter.consume(key);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      options.onReject?.(scope);
      const retryAfterMs = Math.max(1000, rejection.msBeforeNext);
      throw new AgentSessionsError(
        'RATE_LIMITED',
        `Too many ${scope === 'message' ? 'messages' : 'requests'}; retry in ${Math.ceil(retryAfterMs / 1000)} s.`,
        { details: { retryAfterMs } },
      );
    }
  };
  return {
    consumeRequest: (keyId) => consume(requests, keyId, 'request'),
    consumeMessage: (keyId) => consume(messages, keyId, 'message'),
  };
}
