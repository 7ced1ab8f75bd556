/** Tuning of {@link computeBackoffDelay}. */
export interface BackoffOptions {
  /** Delay before the first retry, before jitter. Default 250 ms. */
  initialMs?: number;
  /** Upper bound of any delay. Default 10 000 ms. */
  maxMs?: number;
  /** Growth per attempt. Default 2. */
  factor?: number;
}

/**
 * Exponential backoff with "equal jitter": half the exponential delay is kept, the other half is
 * random. Keeping half avoids hammering a restarting server with near-zero delays; the random
 * half spreads many clients that lost the same server so they do not reconnect in lockstep.
 *
 * @param attempt 0 for the first retry, 1 for the second, ...
 * @param random a source of numbers in [0, 1); injectable so tests are deterministic.
 * @example
 * ```ts
 * computeBackoffDelay(0); // between 125 and 250 ms
 * computeBackoffDelay(10, { maxMs: 5_000 }); // between 2 500 and 5 000 ms
 * ```
 */
export function computeBackoffDelay(
  attempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const initialMs = options.initialMs ?? 250;
  const maxMs = options.maxMs ?? 10_000;
  const factor = options.factor ?? 2;
  const exponential = Math.min(maxMs, initialMs * factor ** Math.max(0, attempt));
  const half = exponential / 2;
  return Math.round(half + random() * half);
}
