import { describe, expect, it } from 'vitest';
import { createSeqTracker } from './seq-tracker.js';

describe('createSeqTracker', () => {
  it('delivers each seq once, in order, across a replay overlap', () => {
    const tracker = createSeqTracker();
    const delivered: number[] = [];
    // First connection sees 1..3, the reconnect replays from 2 (overlap) and goes on to 5.
    for (const seq of [1, 2, 3, 2, 3, 4, 5]) {
      if (tracker.accept(seq) === 'deliver') delivered.push(seq);
    }
    expect(delivered).toEqual([1, 2, 3, 4, 5]);
    expect(tracker.lastSeq).toBe(5);
  });

  it('reports a gap and does not advance past it', () => {
    const tracker = createSeqTracker(4);
    expect(tracker.accept(5)).toBe('deliver');
    expect(tracker.accept(7)).toBe('gap');
    expect(tracker.lastSeq).toBe(5);
    expect(tracker.accept(6)).toBe('deliver');
    expect(tracker.accept(7)).toBe('deliver');
  });

  it('treats a malformed seq as nothing to deliver', () => {
    const tracker = createSeqTracker();
    expect(tracker.accept(Number.NaN)).toBe('duplicate');
    expect(tracker.accept(1.5)).toBe('duplicate');
    expect(tracker.lastSeq).toBe(0);
  });
});
