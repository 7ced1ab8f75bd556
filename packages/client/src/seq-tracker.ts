/** What to do with an incoming log entry, decided by {@link createSeqTracker}. */
export type SeqDecision = 'deliver' | 'duplicate' | 'gap';

/** Tracks the last contiguous `seq` delivered to the application. */
export interface SeqTracker {
  /** The seq of the last entry delivered (0 before any). Reconnect with `after=lastSeq`. */
  readonly lastSeq: number;
  /**
   * Classifies `seq`: `deliver` (exactly the next one; lastSeq advances), `duplicate`
   * (already delivered: drop it), or `gap` (entries are missing: reconnect from lastSeq).
   */
  accept(seq: number): SeqDecision;
}

/**
 * The rule that makes a resumed stream exactly-once: only `lastSeq + 1` is delivered. Anything
 * at or below lastSeq was seen before (replay overlap after a reconnect), anything above means
 * an entry was lost, and the only safe recovery is to ask the server again from lastSeq.
 *
 * @example
 * ```ts
 * const tracker = createSeqTracker(0);
 * tracker.accept(1); // 'deliver'
 * tracker.accept(1); // 'duplicate'
 * tracker.accept(3); // 'gap' (2 is missing); tracker.lastSeq stays 1
 * ```
 */
export function createSeqTracker(after = 0): SeqTracker {
  let lastSeq = after;
  return {
    get lastSeq() {
      return lastSeq;
    },
    accept(seq) {
      if (!Number.isInteger(seq) || seq <= lastSeq) return 'duplicate';
      if (seq > lastSeq + 1) return 'gap';
      lastSeq = seq;
      return 'deliver';
    },
  };
}
