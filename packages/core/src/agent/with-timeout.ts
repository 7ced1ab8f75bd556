/** The error code of a turn stopped by {@link withTimeout}. */
export const TURN_TIMEOUT = 'TURN_TIMEOUT';

/** A turn that can be stopped: an `AgentTurn`, or anything shaped like one. */
export interface StoppableTurn<T> {
  /** Settles when the turn has ended; should not reject (an `AgentTurn`'s never does). */
  readonly result: Promise<T>;
  /** Asks the turn to stop gracefully. */
  interrupt(): Promise<unknown>;
  /** Stops the turn by force (terminates its process). */
  abort(): void;
}

/** Thrown by {@link withTimeout} once the timed-out turn has really stopped. */
export class TurnTimeoutError<T = unknown> extends Error {
  readonly code = TURN_TIMEOUT;
  override readonly name = 'TurnTimeoutError';
  constructor(
    /** The time limit that expired. */
    readonly timeoutMs: number,
    /** How the turn was stopped: `interrupt` (graceful) or `abort` (process terminated). */
    readonly stoppedBy: 'interrupt' | 'abort',
    /** The stopped turn's own result (partial messages, cost so far), when it settled. */
    readonly result: T | undefined,
  ) {
    super(`the turn did not finish within ${timeoutMs} ms (stopped by ${stoppedBy})`);
  }
}

export interface WithTimeoutOptions {
  /** How long the turn gets to settle after `interrupt()` before it is aborted. Default 1000. */
  graceMs?: number;
  /** How long to wait for the turn to settle after `abort()`. Default 5000. */
  abortWaitMs?: number;
}

/** Races a promise against a timer that is cleared as soon as either side wins. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | 'expired'> {
  let timer: NodeJS.Timeout | undefined;
  const expiry = new Promise<'expired'>((resolve) => {
    timer = setTimeout(() => resolve('expired'), Math.max(0, ms));
  });
  try {
    return await Promise.race([promise, expiry]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Gives a turn a time limit that really stops it, unlike the seed's `Promise.race` (which let
 * the agent keep running): when `ms` expires the turn is interrupted; if it has not settled
 * `graceMs` later it is aborted, which terminates its CLI process. Only then does the
 * returned promise reject with a {@link TurnTimeoutError} (code `TURN_TIMEOUT`), so no process
 * of the turn is left behind. A turn that ends in time resolves with its result unchanged.
 *
 * In a streaming conversation an abort ends the whole live process; the conversation starts
 * a new one (resuming the session) on the next turn.
 *
 * @example
 * ```ts
 * try {
 *   const result = await withTimeout(client.startTurn('Refactor the parser'), 120_000);
 * } catch (error) {
 *   if (error instanceof TurnTimeoutError) console.warn(error.code, error.stoppedBy);
 * }
 * ```
 */
export async function withTimeout<T>(
  turn: StoppableTurn<T>,
  ms: number,
  options: WithTimeoutOptions = {},
): Promise<T> {
  const { graceMs = 1000, abortWaitMs = 5000 } = options;
  const settled = turn.result.then((value) => ({ value }));
  const first = await within(settled, ms);
  if (first !== 'expired') return first.value;

  const graceEnds = Date.now() + graceMs;
  // interrupt() itself may hang when the process is stuck: it gets the same grace.
  await within(
    turn.interrupt().catch(() => undefined),
    graceMs,
  );
  const afterInterrupt = await within(settled, graceEnds - Date.now());
  if (afterInterrupt !== 'expired') {
    throw new TurnTimeoutError(ms, 'interrupt', afterInterrupt.value);
  }
  turn.abort();
  const afterAbort = await within(settled, abortWaitMs);
  throw new TurnTimeoutError(ms, 'abort', afterAbort === 'expired' ? undefined : afterAbort.value);
}
