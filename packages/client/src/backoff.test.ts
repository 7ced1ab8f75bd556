import { describe, expect, it } from 'vitest';
import { computeBackoffDelay } from './backoff.js';

describe('computeBackoffDelay', () => {
  it('grows exponentially and keeps half of the delay fixed', () => {
    expect(computeBackoffDelay(0, {}, () => 0)).toBe(125);
    expect(computeBackoffDelay(0, {}, () => 0.999999)).toBe(250);
    expect(computeBackoffDelay(1, {}, () => 0)).toBe(250);
    expect(computeBackoffDelay(3, {}, () => 0)).toBe(1000);
  });

  it('never exceeds maxMs however many attempts failed', () => {
    for (let attempt = 0; attempt < 60; attempt += 1) {
      const delay = computeBackoffDelay(attempt, { maxMs: 4_000 });
      expect(delay).toBeLessThanOrEqual(4_000);
      expect(delay).toBeGreaterThanOrEqual(Math.min(4_000, 250 * 2 ** attempt) / 2);
    }
  });

  it('spreads clients apart with jitter', () => {
    const delays = new Set(Array.from({ length: 50 }, () => computeBackoffDelay(4)));
    expect(delays.size).toBeGreaterThan(10);
  });
});
