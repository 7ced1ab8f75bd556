import type { Session } from '@agent-sessions/protocol';
import { formatCost, formatRelative } from './format.js';

interface SessionListProps {
  sessions: Session[];
  loaded: boolean;
  error: string | null;
  selected: string | null;
  onSelect: (id: string) => void;
  onCreate: () => void;
  onDelete: (id: string) => void;
  onForgetKey: (() => void) | undefined;
}

function sessionLabel(session: Session): string {
  return session.title ?? `Session ${session.id.slice(0, 8)}`;
}

/** The sidebar: new chat, and every session of this tenant. */
export function SessionList(props: SessionListProps) {
  const { sessions, selected } = props;
  return (
    <aside className="sidebar" aria-label="Sessions">
      <div className="sidebar-head">
        <span className="brand">
          <span className="brand-dot" aria-hidden="true" /> agent-sessions
        </span>
        <button
          type="button"
          className="button primary small"
          onClick={props.onCreate}
          data-testid="new-session"
        >
          New chat
        </button>
      </div>
      {props.error ? <p className="sidebar-error">{props.error}</p> : null}
      <ul className="session-list">
        {props.loaded && sessions.length === 0 ? (
          <li className="session-empty">No sessions yet.</li>
        ) : null}
        {sessions.map((session) => (
          <li key={session.id}>
            <div
              className={`session-item${session.id === selected ? ' active' : ''}`}
              data-testid="session-item"
              data-session-id={session.id}
            >
              <button
                type="button"
                className="session-open"
                onClick={() => props.onSelect(session.id)}
              >
                <span className={`status-dot ${session.status}`} title={session.status} />
                <span className="session-text">
                  <span className="session-title">{sessionLabel(session)}</span>
                  <span className="session-meta">
                    {session.turnCount} {session.turnCount === 1 ? 'turn' : 'turns'} ·{' '}
                    {formatCost(session.costUsd)} · {formatRelative(session.lastActiveAt)}
                  </span>
                </span>
              </button>
              <button
                type="button"
                className="session-delete"
                aria-label={`Delete ${sessionLabel(session)}`}
                title="Delete session"
                onClick={() => {
                  if (confirm('Delete this session and its history?')) props.onDelete(session.id);
                }}
              >
                ×
              </button>
            </div>
          </li>
        ))}
      </ul>
      {props.onForgetKey ? (
        <button type="button" className="link-button" onClick={props.onForgetKey}>
          Forget API key
        </button>
      ) : null}
    </aside>
  );
}
