import { useRef, useState } from 'react';

interface ComposerProps {
  running: boolean;
  disabled: boolean;
  error: string | null;
  onSend: (text: string) => Promise<unknown>;
  onInterrupt: () => Promise<void>;
}

/** The message box: Enter sends, Shift+Enter adds a line; Stop interrupts a running turn. */
export function Composer({ running, disabled, error, onSend, onInterrupt }: ComposerProps) {
  const [text, setText] = useState('');
  const area = useRef<HTMLTextAreaElement>(null);
  const submit = () => {
    const content = text.trim();
    if (!content || disabled) return;
    setText('');
    // The connection queues it while reconnecting; failures show as the session error.
    onSend(content).catch(() => {});
    area.current?.focus();
  };
  return (
    <div className="composer">
      <div className="composer-box">
        <textarea
          ref={area}
          data-testid="composer-input"
          aria-label="Message"
          rows={1}
          value={text}
          disabled={disabled}
          placeholder={running ? 'Send a follow-up (it will be queued)…' : 'Message the agent…'}
          onChange={(event) => {
            setText(event.target.value);
            const element = event.target;
            element.style.height = 'auto';
            element.style.height = `${Math.min(element.scrollHeight, 240)}px`;
          }}
          onKeyDown={(event) => {
            if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
              event.preventDefault();
              submit();
            }
            if (event.key === 'Escape' && running) void onInterrupt();
          }}
        />
        <div className="composer-actions">
          {running ? (
            <button
              type="button"
              className="button danger"
              onClick={() => void onInterrupt()}
              data-testid="interrupt"
            >
              Stop
            </button>
          ) : null}
          <button
            type="button"
            className="button primary"
            onClick={submit}
            disabled={!text.trim() || disabled}
            data-testid="send"
          >
            Send
          </button>
        </div>
      </div>
      <div className="composer-hint">
        {error ? (
          <span className="form-error">{error}</span>
        ) : (
          <span>Enter to send · Shift+Enter for a new line{running ? ' · Esc to stop' : ''}</span>
        )}
      </div>
    </div>
  );
}
