import { randomUUID } from 'node:crypto';
import {
  type Options,
  type Query,
  query,
  type SDKMessage,
  type SDKUserMessage,
} from '@anthropic-ai/claude-agent-sdk';
import { findMarkedChildProcesses, waitForExit } from '../process/process-table.js';

/**
 * The environment variable that tags each CLI process with its stream's id, so the stream can
 * find its process (the SDK does not expose the child's pid) and make sure it is gone after an
 * abort. Harmless to the CLI and the tools it runs.
 */
export const AGENT_PROCESS_MARKER = 'AGENT_SESSIONS_STREAM_ID';

/**
 * A running query: an async generator of SDK messages that can also be interrupted, closed
 * or aborted, and exposes the SDK's `Query` for everything else (`setModel`, ...).
 */
export interface AgentStream extends AsyncGenerator<SDKMessage, void> {
  /** The SDK's query object. */
  readonly query: Query;
  /** The abort controller handed to the SDK (the caller's, or one made for this stream). */
  readonly abortController: AbortController;
  /** Asks the CLI to stop the current turn; it then emits an `error_during_execution` result. */
  interrupt(): Promise<void>;
  /**
   * Ends the query and terminates the CLI process (stdin EOF, then a kill after a short grace).
   * The generator then ends without a result.
   */
  close(): void;
  /**
   * The pid of the CLI process, looked up (Linux /proc) while it runs and remembered; undefined
   * before it starts, after it ended unseen, or where it cannot be found.
   */
  readonly pid: number | undefined;
  /**
   * Resolves once the CLI process whose pid was seen has exited, killing it (SIGKILL) if it is
   * still alive after `timeoutMs` (default 3000). Resolves at once when no pid was seen.
   */
  waitForExit(timeoutMs?: number): Promise<boolean>;
}

const ERROR_RESULT_THROW = 'Claude Code returned an error result';

/**
 * Starts a query and wraps it in an {@link AgentStream}.
 *
 * One difference from the raw SDK iterator, by design: with a string prompt the SDK throws
 * `Error("Claude Code returned an error result: ...")` right after yielding an error `result`.
 * That result already carries everything (`is_error`, `terminal_reason`, the error text), so
 * the stream swallows that one throw and simply ends: callers handle errors in one place, the
 * result message. Any other failure (spawn error, abort, crash) is thrown as usual. Breaking
 * out of the loop early closes the query so no CLI process is left behind.
 *
 * @example
 * ```ts
 * const stream = openAgentStream('[[slow:3000]] hi', { cwd, env });
 * setTimeout(() => void stream.interrupt(), 500);
 * for await (const message of stream) console.log(message.type);
 * ```
 */
export function openAgentStream(
  prompt: string | AsyncIterable<SDKUserMessage>,
  options: Options,
): AgentStream {
  const abortController = options.abortController ?? new AbortController();
  // Tags the child so its pid can be found: the SDK does not expose it.
  const streamId = randomUUID();
  const marker = `${AGENT_PROCESS_MARKER}=${streamId}`;
  const env = options.env ? { ...options.env, [AGENT_PROCESS_MARKER]: streamId } : undefined;
  const sdkQuery = query({
    prompt,
    options: { ...options, abortController, ...(env ? { env } : {}) },
  });
  let pid: number | undefined;
  const findPid = () => {
    pid ??= env ? findMarkedChildProcesses([marker])[0] : undefined;
    return pid;
  };

  async function* iterate(): AsyncGenerator<SDKMessage, void> {
    let lastResultFailed = false;
    let ended = false;
    try {
      for await (const message of sdkQuery) {
        if (message.type === 'result') {
          lastResultFailed = message.is_error || message.subtype !== 'success';
        }
        yield message;
      }
      ended = true;
    } catch (error) {
      ended = true;
      if (
        lastResultFailed &&
        error instanceof Error &&
        error.message.startsWith(ERROR_RESULT_THROW)
      ) {
        return;
      }
      throw error;
    } finally {
      if (!ended) sdkQuery.close();
    }
  }

  return Object.assign(iterate(), {
    query: sdkQuery,
    abortController,
    async interrupt() {
      findPid();
      await sdkQuery.interrupt();
    },
    close() {
      findPid();
      sdkQuery.close();
    },
    get pid() {
      return findPid();
    },
    async waitForExit(timeoutMs = 3000) {
      if (pid === undefined) return true;
      const { remaining } = await waitForExit([pid], { killAfterMs: timeoutMs });
      return remaining.length === 0;
    },
  });
}

/**
 * The streaming-input message for a user's text.
 *
 * @example
 * ```ts
 * input.push(userMessage('hello'));
 * ```
 */
export function userMessage(text: string): SDKUserMessage {
  return { type: 'user', message: { role: 'user', content: text }, parent_tool_use_id: null };
}
