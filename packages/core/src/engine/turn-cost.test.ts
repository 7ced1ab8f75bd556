import { describe, expect, it } from 'vitest';
import { turnCostDelta } from './runner.js';

describe('turnCostDelta', () => {
  it('is the difference between cumulative figures', () => {
    expect(turnCostDelta(0, 0.014)).toBeCloseTo(0.014, 12);
    expect(turnCostDelta(0.014, 0.028)).toBeCloseTo(0.014, 12);
  });

  it('treats a lower figure as a restarted count, never negative', () => {
    expect(turnCostDelta(0.05, 0.01)).toBeCloseTo(0.01, 12);
    expect(turnCostDelta(0.05, Number.NaN)).toBe(0);
  });
});
