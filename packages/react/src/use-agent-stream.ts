import type { AgentSessionsClient } from '@agent-sessions/client';
import type { LogEntry } from '@agent-sessions/protocol';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useAgentSession } from './use-agent-session.js';

/** Options of {@link useAgentStream}. */
export interface UseAgentStreamOptions {
  client: AgentSessionsClient;
  /** Follow this session; without one, the first `stream()` creates a session. */
  sessionId?: string | null;
}

/** The seed's hook shape. */
export interface AgentStream {
  /** The SDK messages of the session (system, assistant, user, result, ...), in order. */
  messages: LogEntry[];
  /** Whether a turn is running. */
  isStreaming: boolean;
  /** Sends a prompt; resolves when its turn has ended. */
  stream(prompt: string): Promise<void>;
  /** The session in use (created by the first `stream()` when none was given). */
  sessionId: string | null;
}

/**
 * The original design's `useAgentStream` (`{messages, isStreaming, stream}`), on top of
 * {@link useAgentSession}: so it gains reconnects, replay and a durable session for free.
 *
 * @example
 * ```tsx
 * const { messages, isStreaming, stream } = useAgentStream({ client });
 * <button disabled={isStreaming} onClick={() => stream('Hello')}>Ask</button>
 * ```
 */
export function useAgentStream(options: UseAgentStreamOptions): AgentStream {
  const { client } = options;
  const [createdId, setCreatedId] = useState<string | null>(null);
  const sessionId = options.sessionId ?? createdId;
  const state = useAgentSession({ client, sessionId, keepEntries: true });
  const stateRef = useRef(state);
  stateRef.current = state;
  const waiters = useRef(new Map<string, () => void>());

  // Resolve each stream() when the turn of its message has ended.
  useEffect(() => {
    for (const turn of state.turns) {
      const done = waiters.current.get(turn.messageId);
      if (done && turn.outcome !== 'running') {
        waiters.current.delete(turn.messageId);
        done();
      }
    }
  }, [state.turns]);

  const stream = useCallback(
    async (prompt: string) => {
      if (!sessionId) {
        const session = await client.createSession();
        setCreatedId(session.id);
        // The connection opens on the next render; post over HTTP, it replays from the log.
        const accepted = await client.sendMessage(session.id, prompt);
        await new Promise<void>((resolve) => waiters.current.set(accepted.messageId, resolve));
        return;
      }
      const ack = await stateRef.current.send(prompt);
      const ended = stateRef.current.turns.find(
        (turn) => turn.messageId === ack.messageId && turn.outcome !== 'running',
      );
      if (ended) return;
      await new Promise<void>((resolve) => waiters.current.set(ack.messageId, resolve));
    },
    [client, sessionId],
  );

  const messages = state.entries.filter((entry) => !entry.type.includes('.'));
  return { messages, isStreaming: state.isRunning || state.queued.length > 0, stream, sessionId };
}
