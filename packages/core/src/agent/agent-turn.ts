import type { SDKMessage } from '@anthropic-ai/claude-agent-sdk';
import type { AgentStream } from './agent-stream.js';
import { type AgentTurnResult, summarizeTurn, type TurnStop } from './summarize-turn.js';

/**
 * A turn in progress. `result` never rejects: failures, interruptions and aborts all end as an
 * {@link AgentTurnResult} with `isError: true`.
 */
export interface AgentTurn {
  /** Settles when the turn has ended (result received, or the stream ended). */
  readonly result: Promise<AgentTurnResult>;
  /** The messages received so far. */
  readonly messages: readonly SDKMessage[];
  /** Asks the CLI to stop the turn; the result then has `terminalReason: 'aborted_streaming'`. */
  interrupt(): Promise<void>;
  /**
   * Stops the turn by terminating its CLI process; `result` settles once the SDK has let go of
   * the process.
   */
  abort(): void;
  /** The pid of the turn's CLI process while it runs (Linux; see `AgentStream.pid`). */
  readonly pid: number | undefined;
}

export interface AgentTurnHooks {
  /** Called with every SDK message of the turn, as it arrives. Exceptions are ignored. */
  onMessage?: (message: SDKMessage) => void;
  /** The cumulative cost before this turn, to report this turn's own cost. */
  previousTotalCostUsd?: number;
}

/**
 * Consumes a one-turn {@link AgentStream} into an {@link AgentTurn}.
 *
 * @example
 * ```ts
 * const turn = startAgentTurn(openAgentStream('hi', options));
 * const { text, isError } = await turn.result;
 * ```
 */
export function startAgentTurn(stream: AgentStream, hooks: AgentTurnHooks = {}): AgentTurn {
  const messages: SDKMessage[] = [];
  const startedAt = Date.now();
  let stoppedBy: TurnStop | undefined;

  const result = (async () => {
    let failure: unknown;
    try {
      for await (const message of stream) {
        messages.push(message);
        try {
          hooks.onMessage?.(message);
        } catch {
          // A broken observer must not break the turn.
        }
      }
    } catch (error) {
      failure = error;
    }
    // After an interrupt or abort, the turn is over only once its process is gone.
    if (stoppedBy !== undefined) await stream.waitForExit();
    return summarizeTurn(messages, {
      failure,
      wallMs: Date.now() - startedAt,
      ...(hooks.previousTotalCostUsd !== undefined
        ? { previousTotalCostUsd: hooks.previousTotalCostUsd }
        : {}),
      ...(stoppedBy ? { stoppedBy } : {}),
    });
  })();

  return {
    result,
    messages,
    async interrupt() {
      stoppedBy ??= 'interrupt';
      try {
        await stream.interrupt();
      } catch {
        // The turn may already be over (the process exited): nothing left to interrupt.
      }
    },
    abort() {
      stoppedBy = 'abort';
      stream.close();
    },
    get pid() {
      return stream.pid;
    },
  };
}
