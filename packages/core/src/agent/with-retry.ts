import type { SDKMessage } from '@anthropic-ai/claude-agent-sdk';
import { messagesRanTool } from './summarize-turn.js';

/**
 * What a retried attempt returns: an `AgentTurnResult` fits. `ranTool` is how the attempt
 * reports that a tool ran, in which case it is never retried.
 */
export interface RetryableOutcome {
  isError: boolean;
  ranTool: boolean;
  terminalReason?: string | undefined;
  apiError?: string | undefined;
  apiErrorStatus?: number | undefined;
  stoppedBy?: string | undefined;
}

/** A failed attempt: an error result, or a thrown error. */
export type RetryFailure<T> =
  | { kind: 'result'; result: T; attempt: number }
  | { kind: 'error'; error: unknown; attempt: number };

export interface RetryOptions<T> {
  /** Total attempts, the first included. Default 3. */
  attempts?: number;
  /** The backoff before retry n is up to `baseDelayMs * 2^(n-1)`. Default 1000. */
  baseDelayMs?: number;
  /** Cap of one backoff. Default 30000. */
  maxDelayMs?: number;
  /** Full jitter (a uniform random delay up to the backoff), the default; false: exact backoff. */
  jitter?: boolean;
  /** Which failures to retry. Default {@link isTransientFailure}. */
  isTransient?: (failure: RetryFailure<T>) => boolean;
  /** Called before each retry's wait. */
  onRetry?: (info: { attempt: number; delayMs: number; failure: RetryFailure<T> }) => void;
  /** Stops waiting and retrying when aborted (the last failure is returned or thrown). */
  signal?: AbortSignal;
  /** Random source in [0, 1), for tests. */
  random?: () => number;
}

/** API error kinds (the CLI's `SDKAssistantMessageError`) worth another attempt. */
const TRANSIENT_API_ERRORS = new Set(['overloaded', 'rate_limit', 'server_error']);
const TRANSIENT_ERROR_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

function isTransientStatus(status: number | undefined): boolean {
  return status === 408 || status === 429 || (status !== undefined && status >= 500);
}

/**
 * Whether an error result is a transient API failure: the turn ended on an API error
 * (`terminal_reason: 'api_error'`) of a retryable kind (overloaded, rate limit, server error,
 * or an unknown error without a client-error status), not an auth, billing, invalid request,
 * max-turns, budget or interrupted turn.
 */
export function isTransientResult(outcome: RetryableOutcome): boolean {
  if (!outcome.isError || outcome.stoppedBy !== undefined) return false;
  if (outcome.terminalReason !== 'api_error') return false;
  if (outcome.apiError !== undefined && TRANSIENT_API_ERRORS.has(outcome.apiError)) return true;
  if (outcome.apiError === undefined || outcome.apiError === 'unknown') {
    return outcome.apiErrorStatus === undefined || isTransientStatus(outcome.apiErrorStatus);
  }
  return false;
}

type ErrorLike = {
  status?: unknown;
  statusCode?: unknown;
  code?: unknown;
  transient?: unknown;
  ranTool?: unknown;
  messages?: unknown;
  cause?: unknown;
};

/**
 * Whether a thrown attempt is known to have run no tool: the error says so with
 * `ranTool: false`, or carries the attempt's `messages` and they show no tool call. An error
 * that says nothing is treated as "may have run a tool" and is not retried.
 */
export function errorRanNoTool(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const details = error as ErrorLike;
  if (typeof details.ranTool === 'boolean') return !details.ranTool;
  if (Array.isArray(details.messages)) return !messagesRanTool(details.messages as SDKMessage[]);
  return false;
}

/** Whether a thrown error is a transient API or network failure (429, 5xx, 529, ECONNRESET...). */
export function isTransientError(error: unknown): boolean {
  for (let current = error, depth = 0; depth < 4; depth++) {
    if (typeof current !== 'object' || current === null) return false;
    const details = current as ErrorLike;
    if (details.transient === true) return true;
    const status = details.status ?? details.statusCode;
    if (typeof status === 'number' && isTransientStatus(status)) return true;
    if (typeof details.code === 'string' && TRANSIENT_ERROR_CODES.has(details.code)) return true;
    current = details.cause;
  }
  return false;
}

/**
 * The default retry rule: a failure is retried only when it is known to be transient AND the
 * failed attempt ran no tool, so a retry never repeats a side effect.
 */
export function isTransientFailure<T extends RetryableOutcome>(failure: RetryFailure<T>): boolean {
  if (failure.kind === 'result')
    return !failure.result.ranTool && isTransientResult(failure.result);
  return errorRanNoTool(failure.error) && isTransientError(failure.error);
}

/** The wait before retry `attempt` (1 = the first retry): exponential, capped, full jitter. */
export function retryDelayMs(
  attempt: number,
  options: { baseDelayMs?: number; maxDelayMs?: number; jitter?: boolean; random?: () => number },
): number {
  const { baseDelayMs = 1000, maxDelayMs = 30_000, jitter = true, random = Math.random } = options;
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
  return jitter ? Math.floor(random() * ceiling) : ceiling;
}

/**
 * Runs `fn` and retries it with exponential backoff and full jitter, but only for failures
 * known to be transient, and only when the failed attempt ran no tool (the seed retried any
 * failure, re-running turns whose tools had already run).
 *
 * `fn` reports an attempt by returning a {@link RetryableOutcome} (an `AgentTurnResult`, e.g.
 * from `client.querySingle`), whose `isError` marks a failure and `ranTool` a side effect; or
 * by throwing an error that carries `ranTool` or the attempt's `messages`. When the attempts
 * are used up or the failure is not retryable, the last result is returned (it has
 * `isError: true`) or the last error is thrown.
 *
 * @example
 * ```ts
 * const result = await withRetry(() => client.querySingle(prompt), {
 *   attempts: 3,
 *   onRetry: ({ attempt, delayMs }) => log.warn({ attempt, delayMs }, 'retrying turn'),
 * });
 * ```
 */
export async function withRetry<T extends RetryableOutcome>(
  fn: (attempt: number) => Promise<T>,
  options: RetryOptions<T> = {},
): Promise<T> {
  const attempts = Math.max(1, options.attempts ?? 3);
  const isTransient = options.isTransient ?? isTransientFailure;
  for (let attempt = 1; ; attempt++) {
    let failure: RetryFailure<T>;
    try {
      const result = await fn(attempt);
      if (!result.isError) return result;
      failure = { kind: 'result', result, attempt };
    } catch (error) {
      failure = { kind: 'error', error, attempt };
    }
    const retry = attempt < attempts && !options.signal?.aborted && isTransient(failure);
    if (retry) {
      const delayMs = retryDelayMs(attempt, options);
      options.onRetry?.({ attempt, delayMs, failure });
      await waitFor(delayMs, options.signal);
    }
    if (!retry || options.signal?.aborted) {
      if (failure.kind === 'result') return failure.result;
      throw failure.error;
    }
  }
}

function waitFor(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
