import { useEffect, useRef, useState } from 'react';

/** Asks for an API key when the server answers 401. */
export function KeyPrompt({
  error,
  onSubmit,
}: {
  error: string | null;
  onSubmit: (key: string) => void;
}) {
  const [key, setKey] = useState('');
  const input = useRef<HTMLInputElement>(null);
  // The page has nothing else to do until a key is given.
  useEffect(() => input.current?.focus(), []);
  return (
    <div className="key-screen">
      <form
        className="key-card"
        onSubmit={(event) => {
          event.preventDefault();
          if (key.trim()) onSubmit(key.trim());
        }}
      >
        <h1>Sign in</h1>
        <p>This server requires an API key. It is kept in this browser only.</p>
        <label htmlFor="api-key">API key</label>
        <input
          id="api-key"
          data-testid="api-key-input"
          type="password"
          autoComplete="off"
          ref={input}
          value={key}
          onChange={(event) => setKey(event.target.value)}
          placeholder="Paste your key"
        />
        {error ? <p className="form-error">{error}</p> : null}
        <button type="submit" className="button primary" disabled={!key.trim()}>
          Continue
        </button>
      </form>
    </div>
  );
}
