import { describe, expect, it } from 'vitest';
import {
  isTransientError,
  isTransientResult,
  type RetryableOutcome,
  retryDelayMs,
  withRetry,
} from './with-retry.js';

const ok: RetryableOutcome = { isError: false, ranTool: false };
const overloaded: RetryableOutcome = {
  isError: true,
  ranTool: false,
  terminalReason: 'api_error',
  apiError: 'overloaded',
  apiErrorStatus: 529,
};

/** A fake attempt function that plays the given outcomes in order. */
function script(...outcomes: Array<RetryableOutcome | Error>) {
  const calls: number[] = [];
  const fn = async (attempt: number) => {
    calls.push(attempt);
    const next = outcomes[calls.length - 1];
    if (next === undefined) throw new Error('called too often');
    if (next instanceof Error) throw next;
    return next;
  };
  return { fn, calls };
}

describe('withRetry', () => {
  it('retries a transient failure with no tool run, then returns the success', async () => {
    const { fn, calls } = script(overloaded, { ...overloaded, apiError: 'rate_limit' }, ok);
    const delays: number[] = [];
    const result = await withRetry(fn, {
      baseDelayMs: 1,
      onRetry: ({ delayMs }) => delays.push(delayMs),
    });
    expect(result).toBe(ok);
    expect(calls).toEqual([1, 2, 3]);
    expect(delays).toHaveLength(2);
  });

  it('does not retry once a tool ran, even for a transient error', async () => {
    const { fn, calls } = script({ ...overloaded, ranTool: true }, ok);
    const result = await withRetry(fn, { baseDelayMs: 1 });
    expect(calls).toEqual([1]);
    expect(result.ranTool).toBe(true);
    expect(result.isError).toBe(true);
  });

  it('does not retry auth errors, max turns, budget or an interrupted turn', async () => {
    const permanent: RetryableOutcome[] = [
      { ...overloaded, apiError: 'authentication_failed', apiErrorStatus: 401 },
      { isError: true, ranTool: false, terminalReason: 'max_turns' },
      { isError: true, ranTool: false, terminalReason: 'budget_exhausted' },
      {
        isError: true,
        ranTool: false,
        terminalReason: 'aborted_streaming',
        stoppedBy: 'interrupt',
      },
    ];
    for (const outcome of permanent) {
      const { fn, calls } = script(outcome, ok);
      expect(await withRetry(fn, { baseDelayMs: 1 })).toBe(outcome);
      expect(calls).toEqual([1]);
    }
  });

  it('gives up after `attempts` and returns the last failed result', async () => {
    const last = { ...overloaded, apiErrorStatus: 500, apiError: 'server_error' };
    const { fn, calls } = script(overloaded, overloaded, last, ok);
    expect(await withRetry(fn, { attempts: 3, baseDelayMs: 1 })).toBe(last);
    expect(calls).toEqual([1, 2, 3]);
  });

  it('retries a thrown transient error only when it says no tool ran', async () => {
    const transient = Object.assign(new Error('socket hang up'), {
      code: 'ECONNRESET',
      ranTool: false,
    });
    const { fn, calls } = script(transient, ok);
    expect(await withRetry(fn, { baseDelayMs: 1 })).toBe(ok);
    expect(calls).toEqual([1, 2]);

    // Same error without evidence about tools: it may have run one, so it is not retried.
    const unknown = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const second = script(unknown, ok);
    await expect(withRetry(second.fn, { baseDelayMs: 1 })).rejects.toBe(unknown);
    expect(second.calls).toEqual([1]);

    const withToolMessages = Object.assign(new Error('503'), {
      status: 503,
      messages: [
        {
          type: 'assistant',
          message: { content: [{ type: 'tool_use', id: 't', name: 'Bash', input: {} }] },
        },
      ],
    });
    const third = script(withToolMessages, ok);
    await expect(withRetry(third.fn, { baseDelayMs: 1 })).rejects.toBe(withToolMessages);
    expect(third.calls).toEqual([1]);
  });

  it('stops retrying when its signal aborts', async () => {
    const controller = new AbortController();
    const { fn, calls } = script(overloaded, ok);
    const pending = withRetry(fn, {
      baseDelayMs: 10_000,
      jitter: false,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 10);
    expect(await pending).toBe(overloaded);
    expect(calls).toEqual([1]);
  });
});

describe('retry classification and backoff', () => {
  it('backs off exponentially with full jitter under a cap', () => {
    expect(
      [1, 2, 3, 4].map((attempt) =>
        retryDelayMs(attempt, { jitter: false, baseDelayMs: 100, maxDelayMs: 500 }),
      ),
    ).toEqual([100, 200, 400, 500]);
    expect(retryDelayMs(3, { baseDelayMs: 100, random: () => 0.5 })).toBe(200);
    expect(retryDelayMs(3, { baseDelayMs: 100, random: () => 0 })).toBe(0);
  });

  it('classifies results and errors', () => {
    expect(isTransientResult(overloaded)).toBe(true);
    expect(
      isTransientResult({ ...overloaded, apiError: 'unknown', apiErrorStatus: undefined }),
    ).toBe(true);
    expect(
      isTransientResult({ ...overloaded, apiError: 'invalid_request', apiErrorStatus: 400 }),
    ).toBe(false);
    expect(isTransientResult(ok)).toBe(false);
    expect(isTransientError({ status: 429 })).toBe(true);
    expect(isTransientError({ status: 400 })).toBe(false);
    expect(isTransientError(new Error('x', { cause: { code: 'ETIMEDOUT' } }))).toBe(true);
    expect(isTransientError(new Error('plain'))).toBe(false);
  });
});
