import type { Options, SDKMessage, SDKUserMessage } from '@anthropic-ai/claude-agent-sdk';
import {
  type AgentConversation,
  type ConversationOptions,
  createTurnSerializer,
} from './agent-conversation.js';
import { type AgentStream, userMessage } from './agent-stream.js';
import type { AgentTurn } from './agent-turn.js';
import { createConversationSession } from './conversation-session.js';
import { createInputQueue, type InputQueue } from './input-queue.js';
import { type AgentTurnResult, summarizeTurn, type TurnStop } from './summarize-turn.js';

export interface LiveConversationDeps {
  /** Opens a streaming-input query with fully resolved options. */
  openStream(prompt: AsyncIterable<SDKUserMessage>, options: Options): AgentStream;
  /** Resolves conversation options (defaults merged) into SDK options. */
  resolveOptions(options: ConversationOptions): Options;
}

interface PendingTurn {
  messages: SDKMessage[];
  startedAt: number;
  stoppedBy: TurnStop | undefined;
  onMessage: ((message: SDKMessage) => void) | undefined;
  settle(result: AgentTurnResult): void;
}

interface LiveProcess {
  input: InputQueue<SDKUserMessage>;
  stream: AgentStream;
  pump: Promise<void>;
}

/**
 * A conversation served by ONE CLI process fed through streaming input: turn 2 and later cost
 * tens of milliseconds instead of a process start and a history reload. The process starts
 * with the first turn. If it goes away (closed by `abort()`, a timeout or a crash) the next
 * turn starts a new one that resumes the captured session id, so the history is kept.
 *
 * Per-turn options are not possible here (the process is already running); use the `query`
 * of {@link LiveConversation.stream} (`setModel`, `setPermissionMode`) for the few that can
 * change live.
 */
export interface LiveConversation extends AgentConversation {
  /** The live stream, while a process is running. */
  readonly stream: AgentStream | undefined;
}

export function createLiveConversation(
  deps: LiveConversationDeps,
  options: ConversationOptions = {},
): LiveConversation {
  const { mode: _mode, onMessage, sessionId: firstSessionId, resume, ...queryOptions } = options;
  const session = createConversationSession({ resume, sessionId: firstSessionId });
  let live: LiveProcess | undefined;
  let current: PendingTurn | undefined;
  const serialize = createTurnSerializer();

  const finishTurn = (failure?: unknown) => {
    const turn = current;
    if (!turn) return;
    current = undefined;
    const result = summarizeTurn(turn.messages, {
      ...(failure !== undefined ? { failure } : {}),
      wallMs: Date.now() - turn.startedAt,
      ...session.costBaseline(),
      ...(turn.stoppedBy ? { stoppedBy: turn.stoppedBy } : {}),
    });
    session.record(result);
    turn.settle(result);
  };

  const startProcess = (): LiveProcess => {
    const input = createInputQueue<SDKUserMessage>();
    const startOptions: ConversationOptions = { ...queryOptions, ...session.startOptions() };
    const stream = deps.openStream(input, deps.resolveOptions(startOptions));
    const liveProcess: LiveProcess = { input, stream, pump: Promise.resolve() };
    liveProcess.pump = (async () => {
      let failure: unknown;
      try {
        for await (const message of stream) {
          session.observe(message);
          const turn = current;
          if (turn) {
            turn.messages.push(message);
            notify(turn.onMessage, message);
          }
          notify(onMessage, message);
          if (message.type === 'result') finishTurn();
        }
      } catch (error) {
        failure = error;
      } finally {
        // After close(), the conversation is over only once the process is gone.
        await stream.waitForExit();
        input.end();
        if (live === liveProcess) live = undefined;
        finishTurn(failure ?? new Error('the CLI process ended before the turn finished'));
      }
    })();
    return liveProcess;
  };

  const conversation: LiveConversation = {
    mode: 'streaming',
    get sessionId() {
      return session.sessionId;
    },
    get stream() {
      return live?.stream;
    },
    startTurn(text, hooks = {}) {
      if (current) throw new Error('a turn is already running in this conversation');
      live ??= startProcess();
      const liveProcess = live;
      let settle!: (result: AgentTurnResult) => void;
      const result = new Promise<AgentTurnResult>((resolve) => {
        settle = resolve;
      });
      const turn: PendingTurn = {
        messages: [],
        startedAt: Date.now(),
        stoppedBy: undefined,
        onMessage: hooks.onMessage,
        settle,
      };
      current = turn;
      liveProcess.input.push(userMessage(text));
      const handle: AgentTurn = {
        result,
        messages: turn.messages,
        async interrupt() {
          if (current !== turn) return;
          turn.stoppedBy ??= 'interrupt';
          try {
            await liveProcess.stream.interrupt();
          } catch {
            // The process is gone: the turn is ending anyway.
          }
        },
        abort() {
          if (current !== turn) return;
          turn.stoppedBy = 'abort';
          liveProcess.input.end();
          liveProcess.stream.close();
        },
        get pid() {
          return liveProcess.stream.pid;
        },
      };
      return handle;
    },
    send(text) {
      return serialize(() => conversation.startTurn(text).result);
    },
    async reset() {
      await conversation.close();
      session.reset();
    },
    async close() {
      const liveProcess = live;
      if (!liveProcess) return;
      live = undefined;
      if (current) current.stoppedBy ??= 'abort';
      liveProcess.input.end();
      liveProcess.stream.close();
      await liveProcess.pump;
    },
  };
  return conversation;
}

function notify(listener: ((message: SDKMessage) => void) | undefined, message: SDKMessage): void {
  try {
    listener?.(message);
  } catch {
    // A broken observer must not break the conversation.
  }
}
