import type { SDKMessage } from '@anthropic-ai/claude-agent-sdk';
import type { AgentTurn } from './agent-turn.js';
import { createConversationSession } from './conversation-session.js';
import type { AgentQueryOptions } from './merge-agent-options.js';
import type { AgentTurnResult } from './summarize-turn.js';

/** A multi-turn conversation with one Claude session. */
export interface AgentConversation {
  /** `resume`: a new CLI process per turn (the seed); `streaming`: one process for every turn. */
  readonly mode: 'resume' | 'streaming';
  /** The Claude session id, known after the first turn's `system/init`. */
  readonly sessionId: string | undefined;
  /** Runs one turn and returns its result; concurrent calls run one after the other. */
  send(text: string): Promise<AgentTurnResult>;
  /**
   * Starts one turn now and returns its handle (for `interrupt()`, `withTimeout`, ...).
   * Throws when a turn is already running.
   */
  startTurn(text: string, hooks?: { onMessage?: (message: SDKMessage) => void }): AgentTurn;
  /** Forgets the session: the next turn starts a new one (closing a live process first). */
  reset(): Promise<void>;
  /** Ends the conversation: stops a running turn and any live CLI process. */
  close(): Promise<void>;
}

export interface ConversationOptions extends AgentQueryOptions {
  /** See {@link AgentConversation.mode}. Default `resume`. */
  mode?: 'resume' | 'streaming';
  /** Called with every SDK message of the conversation. */
  onMessage?: (message: SDKMessage) => void;
}

/** Runs turns one after the other, whatever the caller does. */
export function createTurnSerializer() {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(work: () => Promise<T>): Promise<T> => {
    const next = tail.then(work, work);
    tail = next.catch(() => undefined);
    return next;
  };
}

export interface ResumeConversationDeps {
  startTurn(
    prompt: string,
    options: AgentQueryOptions,
    hooks: { onMessage?: (message: SDKMessage) => void; previousTotalCostUsd?: number },
  ): AgentTurn;
}

/**
 * The seed's multi-turn pattern: each turn is a new `query()` that resumes the session id
 * captured from the first turn. Simple and robust, but every turn pays a process start and a
 * full history reload (~400 ms, ~220 MB); prefer `mode: 'streaming'` for live sessions.
 */
export function createResumeConversation(
  deps: ResumeConversationDeps,
  options: ConversationOptions = {},
): AgentConversation {
  const { mode: _mode, onMessage, sessionId: firstSessionId, resume, ...queryOptions } = options;
  const session = createConversationSession({ resume, sessionId: firstSessionId });
  let running: AgentTurn | undefined;
  const serialize = createTurnSerializer();

  const conversation: AgentConversation = {
    mode: 'resume',
    get sessionId() {
      return session.sessionId;
    },
    startTurn(text, hooks = {}) {
      if (running) throw new Error('a turn is already running in this conversation');
      const turnOptions: AgentQueryOptions = { ...queryOptions, ...session.startOptions() };
      const turn = deps.startTurn(text, turnOptions, {
        onMessage: (message) => {
          session.observe(message);
          onMessage?.(message);
          hooks.onMessage?.(message);
        },
        ...session.costBaseline(),
      });
      const tracked: AgentTurn = {
        messages: turn.messages,
        interrupt: () => turn.interrupt(),
        abort: () => turn.abort(),
        get pid() {
          return turn.pid;
        },
        result: turn.result.then((result) => {
          if (running === tracked) running = undefined;
          session.record(result);
          return result;
        }),
      };
      running = tracked;
      return tracked;
    },
    send(text) {
      return serialize(() => conversation.startTurn(text).result);
    },
    async reset() {
      await conversation.close();
      session.reset();
    },
    async close() {
      const turn = running;
      if (!turn) return;
      turn.abort();
      await turn.result;
    },
  };
  return conversation;
}
