import type { SDKMessage } from '@anthropic-ai/claude-agent-sdk';
import type { AgentTurnResult } from './summarize-turn.js';

/**
 * The session bookkeeping every conversation kind shares: which Claude session the next CLI
 * process starts or resumes, and the cumulative cost the next turn's cost is measured from.
 */
export interface ConversationSession {
  /** The Claude session id, known after the first `system/init` or turn result. */
  readonly sessionId: string | undefined;
  /**
   * The options that name the session of a new CLI process: `resume` once an id is known,
   * else the caller-picked first id (used once: after `reset()` the CLI picks a new one).
   */
  startOptions(): { resume?: string; sessionId?: string };
  /** The cost baseline for the next turn's summary (the CLI reports cumulative cost). */
  costBaseline(): { previousTotalCostUsd?: number };
  /** Captures the session id from a `system/init` message. */
  observe(message: SDKMessage): void;
  /** Records a finished turn: its session id and, when it produced a result, its total cost. */
  record(result: AgentTurnResult): void;
  /** Forgets the session: the next process starts a new one. */
  reset(): void;
}

/**
 * @example
 * const session = createConversationSession({ resume: savedSessionId });
 * const turn = startTurn(text, { ...options, ...session.startOptions() }, session.costBaseline());
 * session.record(await turn.result);
 */
export function createConversationSession(initial: {
  resume?: string | undefined;
  sessionId?: string | undefined;
}): ConversationSession {
  let sessionId = initial.resume;
  let pendingSessionId = initial.sessionId;
  let previousTotalCostUsd: number | undefined;
  return {
    get sessionId() {
      return sessionId;
    },
    startOptions() {
      const options: { resume?: string; sessionId?: string } = {};
      if (sessionId !== undefined) options.resume = sessionId;
      else if (pendingSessionId !== undefined) options.sessionId = pendingSessionId;
      pendingSessionId = undefined;
      return options;
    },
    costBaseline() {
      return previousTotalCostUsd !== undefined ? { previousTotalCostUsd } : {};
    },
    observe(message) {
      if (message.type === 'system' && message.subtype === 'init') {
        sessionId = message.session_id;
      }
    },
    record(result) {
      if (result.sessionId !== undefined) sessionId = result.sessionId;
      if (result.result) previousTotalCostUsd = result.totalCostUsd;
    },
    reset() {
      sessionId = undefined;
      previousTotalCostUsd = undefined;
    },
  };
}
