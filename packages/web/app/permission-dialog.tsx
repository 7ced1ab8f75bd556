import type { PendingPermission } from '@agent-sessions/client';
import { useEffect, useRef, useState } from 'react';
import { prettyJson } from './format.js';

interface PermissionDialogProps {
  permission: PendingPermission;
  remaining: number;
  onAnswer: (behavior: 'allow' | 'deny') => Promise<void>;
}

/** Asks the user to approve or deny one tool call. */
export function PermissionDialog({ permission, remaining, onAnswer }: PermissionDialogProps) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const allowButton = useRef<HTMLButtonElement>(null);
  useEffect(() => allowButton.current?.focus(), []);
  const answer = (behavior: 'allow' | 'deny') => {
    setBusy(true);
    onAnswer(behavior).catch((cause: unknown) => {
      setBusy(false);
      setError(cause instanceof Error ? cause.message : String(cause));
    });
  };
  return (
    <div className="overlay">
      <div
        className="dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby="permission-title"
        data-testid="permission-dialog"
        onKeyDown={(event) => {
          if (event.key === 'Escape') answer('deny');
        }}
      >
        <h3 id="permission-title">
          Allow <code>{permission.toolName}</code>
          {'?'}
        </h3>
        <p className="dialog-text">The agent wants to run this tool with the following input.</p>
        <pre className="dialog-input">{prettyJson(permission.input)}</pre>
        {remaining > 0 ? <p className="dialog-text">{remaining} more waiting.</p> : null}
        {error ? <p className="form-error">{error}</p> : null}
        <div className="dialog-actions">
          <button
            type="button"
            className="button"
            disabled={busy}
            onClick={() => answer('deny')}
            data-testid="permission-deny"
          >
            Deny
          </button>
          <button
            type="button"
            className="button primary"
            disabled={busy}
            ref={allowButton}
            onClick={() => answer('allow')}
            data-testid="permission-allow"
          >
            Allow
          </button>
        </div>
      </div>
    </div>
  );
}
