import {
  type AgentSessionsClient,
  applyLogEntry,
  applyStreamEvent,
  type ConnectionState,
  type ConnectOptions,
  type ConversationTurn,
  type ConversationView,
  createConversationView,
  type PendingPermission,
  type QueuedMessage,
  type SendOptions,
  type SessionConnection,
  type SessionControls,
  type TokenUsage,
} from '@agent-sessions/client';
import {
  type AckFrame,
  AgentSessionsError,
  type Content,
  type LogEntry,
  type PermissionBehavior,
  type Session,
  type SessionStatus,
} from '@agent-sessions/protocol';
import { useCallback, useEffect, useRef, useState } from 'react';

/** Options of {@link useAgentSession}. */
export interface UseAgentSessionOptions {
  client: AgentSessionsClient;
  /** The session to follow; null or undefined connects to nothing. */
  sessionId: string | null | undefined;
  /** Passed to `connect()` (backoff, heartbeat). */
  connectOptions?: Omit<ConnectOptions, 'after'>;
  /** Keep every log entry in `entries` (off by default: the view is usually enough). */
  keepEntries?: boolean;
}

/** What {@link useAgentSession} returns. */
export interface AgentSessionState extends SessionControls {
  turns: ConversationTurn[];
  /** The session's status from its log (or from the server before the log says). */
  status: SessionStatus | 'unknown';
  pendingPermissions: PendingPermission[];
  /** Messages accepted but not started. */
  queued: QueuedMessage[];
  /** Whether a turn is running or waiting for a permission. */
  isRunning: boolean;
  connectionState: ConnectionState | 'idle';
  /** The last error from the server or the connection, cleared by the next successful send. */
  error: AgentSessionsError | null;
  /** Total cost of the session (sum of turns' own costs). */
  costUsd: number;
  usage: TokenUsage;
  /** The whole conversation view (turns, queued, cancelled, errors, ...). */
  view: ConversationView;
  /** The session object from the latest `session.ready`. */
  session: Session | null;
  /** Every entry delivered, when `keepEntries` is set; otherwise empty. */
  entries: LogEntry[];
  send(content: Content, options?: SendOptions): Promise<AckFrame>;
}

interface Snapshot {
  view: ConversationView;
  entries: LogEntry[];
  connectionState: ConnectionState | 'idle';
  error: AgentSessionsError | null;
  session: Session | null;
}

const idle: Snapshot = {
  view: createConversationView(),
  entries: [],
  connectionState: 'idle',
  error: null,
  session: null,
};

function notConnected(): Promise<never> {
  return Promise.reject(new AgentSessionsError('INTERNAL', 'No session is connected.'));
}

/**
 * Follows one session live: the conversation (turns with streamed text, tool calls and costs),
 * queued messages, pending permissions and the connection state, with reconnects, replay and
 * exactly-once delivery handled by the client.
 *
 * @example
 * ```tsx
 * function Chat({ client, sessionId }) {
 *   const { turns, send, interrupt, isRunning, connectionState } = useAgentSession({ client, sessionId });
 *   return (
 *     <>
 *       {turns.map((turn) => <p key={turn.messageId}>{turn.userText} -> {turn.text}{turn.streamingText}</p>)}
 *       <button onClick={() => send('Hello')}>Send</button>
 *       {isRunning && <button onClick={interrupt}>Stop</button>}
 *     </>
 *   );
 * }
 * ```
 */
export function useAgentSession(options: UseAgentSessionOptions): AgentSessionState {
  const { client, sessionId, keepEntries = false } = options;
  const [snapshot, setSnapshot] = useState<Snapshot>(idle);
  const connectionRef = useRef<SessionConnection | null>(null);
  // Read once per connection: changing backoff settings should not reconnect.
  const connectOptionsRef = useRef(options.connectOptions);
  connectOptionsRef.current = options.connectOptions;

  useEffect(() => {
    if (!sessionId) {
      setSnapshot(idle);
      return;
    }
    const connection = client.session(sessionId).connect(connectOptionsRef.current);
    connectionRef.current = connection;
    setSnapshot({ ...idle, connectionState: connection.state });
    const unsubscribe = [
      connection.on('entry', (entry) =>
        setSnapshot((current) => ({
          ...current,
          view: applyLogEntry(current.view, entry),
          entries: keepEntries ? [...current.entries, entry] : current.entries,
        })),
      ),
      connection.on('stream', (event) =>
        setSnapshot((current) => ({ ...current, view: applyStreamEvent(current.view, event) })),
      ),
      connection.on('state', (state) =>
        setSnapshot((current) => ({ ...current, connectionState: state })),
      ),
      connection.on('ready', ({ session }) =>
        setSnapshot((current) => ({ ...current, session, error: null })),
      ),
      connection.on('error', (error) => setSnapshot((current) => ({ ...current, error }))),
    ];
    return () => {
      for (const off of unsubscribe) off();
      connection.close();
      if (connectionRef.current === connection) connectionRef.current = null;
    };
  }, [client, sessionId, keepEntries]);

  const send = useCallback(async (content: Content, sendOptions?: SendOptions) => {
    const connection = connectionRef.current;
    if (!connection) return notConnected();
    try {
      return await connection.send(content, sendOptions);
    } catch (error) {
      if (AgentSessionsError.is(error)) setSnapshot((current) => ({ ...current, error }));
      throw error;
    }
  }, []);
  const interrupt = useCallback(() => connectionRef.current?.interrupt() ?? notConnected(), []);
  const reset = useCallback(() => connectionRef.current?.reset() ?? notConnected(), []);
  const respondToPermission = useCallback(
    (requestId: string, behavior: PermissionBehavior, message?: string) =>
      connectionRef.current?.respondToPermission(requestId, behavior, message) ?? notConnected(),
    [],
  );

  const { view } = snapshot;
  const status = view.status === 'unknown' ? (snapshot.session?.status ?? 'unknown') : view.status;
  const lastTurn = view.turns.at(-1);
  return {
    turns: view.turns,
    status,
    pendingPermissions: view.pendingPermissions,
    queued: view.queued,
    // From the turns, not the status: `session.status idle` lands just after `turn.ended`.
    isRunning: lastTurn?.outcome === 'running' || status === 'waiting_permission',
    connectionState: snapshot.connectionState,
    error: snapshot.error,
    costUsd: view.costUsd,
    usage: view.usage,
    view,
    session: snapshot.session,
    entries: snapshot.entries,
    send,
    interrupt,
    reset,
    respondToPermission,
  };
}
