import type { AgentSessionsClient, ConversationTurn, QueuedMessage } from '@agent-sessions/client';
import { useAgentSession } from '@agent-sessions/react';
import { useEffect, useLayoutEffect, useRef } from 'react';
import { Composer } from './composer.js';
import { formatCost, formatTokens } from './format.js';
import { PermissionDialog } from './permission-dialog.js';
import { TurnView } from './turn-view.js';

interface ChatViewProps {
  client: AgentSessionsClient;
  sessionId: string;
  onActivity: () => void;
  onUnauthorized: (error: unknown) => boolean;
}

const statusLabels: Record<string, string> = {
  idle: 'Idle',
  running: 'Working',
  waiting_permission: 'Needs approval',
  hibernated: 'Sleeping',
  closed: 'Closed',
  unknown: '…',
};

/** One conversation: header with totals, turns, queued messages, the composer and approvals. */
export function ChatView({ client, sessionId, onActivity, onUnauthorized }: ChatViewProps) {
  const agent = useAgentSession({ client, sessionId });
  const { turns, queued, status, connectionState, error, usage, pendingPermissions } = agent;
  const scroller = useRef<HTMLDivElement>(null);
  const stickToBottom = useRef(true);

  const endedTurns = turns.filter((turn) => turn.outcome !== 'running').length;
  useEffect(() => {
    if (endedTurns > 0) onActivity();
  }, [endedTurns, onActivity]);
  useEffect(() => {
    if (error) onUnauthorized(error);
  }, [error, onUnauthorized]);

  const lastTurn = turns.at(-1);
  const contentSignature = `${turns.length}:${lastTurn?.parts.length}:${lastTurn?.streamingText.length}:${lastTurn?.toolCalls.map((call) => call.status).join()}:${queued.length}`;
  useLayoutEffect(() => {
    const element = scroller.current;
    if (element && stickToBottom.current && contentSignature)
      element.scrollTop = element.scrollHeight;
  }, [contentSignature]);

  const totalTokens =
    usage.inputTokens +
    usage.outputTokens +
    usage.cacheReadInputTokens +
    usage.cacheCreationInputTokens;
  const title = agent.session?.title ?? `Session ${sessionId.slice(0, 8)}`;
  const fatal = connectionState === 'closed' && error;

  return (
    <section className="chat" aria-label="Conversation">
      <header className="chat-head">
        <div className="chat-title">
          <h2>{title}</h2>
          <span className={`status-pill ${status}`} data-testid="session-status">
            {statusLabels[status] ?? status}
          </span>
        </div>
        <div className="chat-totals" data-testid="session-totals" title="Session totals">
          <span>{formatCost(agent.costUsd)}</span>
          <span className="sep">·</span>
          <span>
            {formatTokens(
              usage.inputTokens + usage.cacheReadInputTokens + usage.cacheCreationInputTokens,
            )}{' '}
            in / {formatTokens(usage.outputTokens)} out
          </span>
          <span className="sep">·</span>
          <span>{formatTokens(totalTokens)} tokens</span>
        </div>
      </header>
      {connectionState === 'reconnecting' || connectionState === 'connecting' ? (
        <div className={`banner ${connectionState}`} role="status" data-testid="connection-banner">
          <span className="banner-spinner" aria-hidden="true" />
          {connectionState === 'reconnecting' ? 'Connection lost. Reconnecting…' : 'Connecting…'}
        </div>
      ) : null}
      {fatal ? (
        <div className="banner error" role="alert">
          {error.message}
        </div>
      ) : null}
      <div
        className="conversation"
        ref={scroller}
        data-testid="conversation"
        onScroll={(event) => {
          const element = event.currentTarget;
          stickToBottom.current =
            element.scrollHeight - element.scrollTop - element.clientHeight < 80;
        }}
      >
        <div className="conversation-inner">
          {turns.length === 0 && queued.length === 0 ? <EmptyConversation /> : null}
          {turns.map((turn, index) => (
            <TurnBlock
              key={`${turn.messageId}-${turn.startedSeq}`}
              turn={turn}
              previous={turns[index - 1]}
            />
          ))}
          {queued.map((message) => (
            <QueuedBubble key={message.messageId} message={message} />
          ))}
          {agent.view.errors.map((item) => (
            <div key={item.seq} className="notice error">
              {item.error} <code className="notice-code">{item.code}</code>
            </div>
          ))}
        </div>
      </div>
      <Composer
        running={agent.isRunning}
        disabled={connectionState === 'closed'}
        onSend={(text) => agent.send(text)}
        onInterrupt={() => agent.interrupt()}
        error={error && !fatal ? error.message : null}
      />
      {pendingPermissions[0] ? (
        <PermissionDialog
          key={pendingPermissions[0].requestId}
          permission={pendingPermissions[0]}
          remaining={pendingPermissions.length - 1}
          onAnswer={(behavior) =>
            agent.respondToPermission(pendingPermissions[0]!.requestId, behavior)
          }
        />
      ) : null}
    </section>
  );
}

function TurnBlock({
  turn,
  previous,
}: {
  turn: ConversationTurn;
  previous: ConversationTurn | undefined;
}) {
  return (
    <>
      {previous && previous.epoch !== turn.epoch ? (
        <div className="divider">Conversation reset</div>
      ) : null}
      <TurnView turn={turn} />
    </>
  );
}

function QueuedBubble({ message }: { message: QueuedMessage }) {
  return (
    <div className="user-row" data-testid="queued-message">
      <div className="user-bubble queued">
        <span className="queued-label">Queued</span>
        {message.userText}
      </div>
    </div>
  );
}

function EmptyConversation() {
  return (
    <div className="empty-conversation">
      <p>Send a message to start.</p>
      <p className="hint">
        Enter sends, Shift+Enter adds a line. Offline demo directives: <code>[[slow:3000]]</code>,{' '}
        <code>{'[[tool:Bash:{"command":"ls"}]]'}</code>.
      </p>
    </div>
  );
}
