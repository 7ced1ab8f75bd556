import { describe, expect, it } from 'vitest';
import { type StoppableTurn, TURN_TIMEOUT, TurnTimeoutError, withTimeout } from './with-timeout.js';

/** A fake turn that ends when told to, recording how it was stopped. */
function fakeTurn(options: { endsAfterMs?: number; honoursInterrupt?: boolean }) {
  const calls: string[] = [];
  let finish!: (value: string) => void;
  const result = new Promise<string>((resolve) => {
    finish = resolve;
  });
  if (options.endsAfterMs !== undefined) setTimeout(() => finish('done'), options.endsAfterMs);
  const turn: StoppableTurn<string> = {
    result,
    async interrupt() {
      calls.push('interrupt');
      if (options.honoursInterrupt) setTimeout(() => finish('interrupted'), 5);
    },
    abort() {
      calls.push('abort');
      setTimeout(() => finish('aborted'), 5);
    },
  };
  return { turn, calls };
}

describe('withTimeout', () => {
  it('returns the result of a turn that ends in time, without stopping it', async () => {
    const { turn, calls } = fakeTurn({ endsAfterMs: 5 });
    expect(await withTimeout(turn, 1000)).toBe('done');
    expect(calls).toEqual([]);
  });

  it('interrupts on expiry and rejects with TURN_TIMEOUT once the turn has stopped', async () => {
    const { turn, calls } = fakeTurn({ honoursInterrupt: true });
    const error = await withTimeout(turn, 20).catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(TurnTimeoutError);
    expect(error).toMatchObject({
      code: TURN_TIMEOUT,
      stoppedBy: 'interrupt',
      result: 'interrupted',
      timeoutMs: 20,
    });
    expect(calls).toEqual(['interrupt']);
  });

  it('aborts a turn that ignores the interrupt for the grace period', async () => {
    const { turn, calls } = fakeTurn({ honoursInterrupt: false });
    const startedAt = Date.now();
    const error = await withTimeout(turn, 20, { graceMs: 50 }).catch((failure: unknown) => failure);
    expect(error).toMatchObject({ code: TURN_TIMEOUT, stoppedBy: 'abort', result: 'aborted' });
    expect(calls).toEqual(['interrupt', 'abort']);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(65);
  });
});
