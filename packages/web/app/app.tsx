import { type AgentSessionsClient, createClient } from '@agent-sessions/client';
import { AgentSessionsError, type Session } from '@agent-sessions/protocol';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { loadApiKey, saveApiKey } from './api-key.js';
import { ChatView } from './chat-view.js';
import { KeyPrompt } from './key-prompt.js';
import { SessionList } from './session-list.js';

/** The server is the page's origin unless `?server=` names another (development). */
function serverUrl(): string {
  const override = new URLSearchParams(location.search).get('server');
  return override ?? location.origin;
}

function sessionFromHash(): string | null {
  const match = /^#\/s\/(.+)$/.exec(location.hash);
  return match?.[1] ? decodeURIComponent(match[1]) : null;
}

/** The chat application: session list on the left, the selected conversation on the right. */
export function App() {
  const [apiKey, setApiKey] = useState<string | undefined>(() => loadApiKey());
  const [needsKey, setNeedsKey] = useState(false);
  const [keyError, setKeyError] = useState<string | null>(null);
  const client: AgentSessionsClient = useMemo(
    () => createClient({ url: serverUrl(), ...(apiKey ? { apiKey } : {}) }),
    [apiKey],
  );
  const [sessions, setSessions] = useState<Session[]>([]);
  const [loaded, setLoaded] = useState(false);
  const [listError, setListError] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(() => sessionFromHash());

  useEffect(() => {
    const onHash = () => setSelected(sessionFromHash());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  const handleError = useCallback(
    (error: unknown) => {
      if (AgentSessionsError.is(error) && error.code === 'UNAUTHORIZED') {
        setKeyError(apiKey ? 'The server did not accept this key.' : null);
        setNeedsKey(true);
        return true;
      }
      return false;
    },
    [apiKey],
  );

  const refresh = useCallback(async () => {
    try {
      const page = await client.listSessions({ limit: 100 });
      setSessions(page.items);
      setListError(null);
      setNeedsKey(false);
    } catch (error) {
      if (!handleError(error)) {
        setListError(error instanceof Error ? error.message : String(error));
      }
    } finally {
      setLoaded(true);
    }
  }, [client, handleError]);

  useEffect(() => {
    void refresh();
    const timer = setInterval(() => void refresh(), 5000);
    return () => clearInterval(timer);
  }, [refresh]);

  const select = useCallback((id: string | null) => {
    history.pushState(null, '', id ? `#/s/${encodeURIComponent(id)}` : '#/');
    setSelected(id);
  }, []);

  const createSession = useCallback(async () => {
    try {
      const session = await client.createSession({});
      setSessions((current) => [session, ...current.filter((item) => item.id !== session.id)]);
      select(session.id);
      return session.id;
    } catch (error) {
      if (!handleError(error)) setListError(error instanceof Error ? error.message : String(error));
      return null;
    }
  }, [client, handleError, select]);

  const deleteSession = useCallback(
    async (id: string) => {
      try {
        await client.deleteSession(id);
        setSessions((current) => current.filter((item) => item.id !== id));
        if (selected === id) select(null);
      } catch (error) {
        if (!handleError(error))
          setListError(error instanceof Error ? error.message : String(error));
      }
    },
    [client, handleError, select, selected],
  );

  if (needsKey) {
    return (
      <KeyPrompt
        error={keyError}
        onSubmit={(key) => {
          saveApiKey(key);
          setApiKey(key);
          setNeedsKey(false);
          setKeyError(null);
        }}
      />
    );
  }

  return (
    <div className="layout">
      <SessionList
        sessions={sessions}
        loaded={loaded}
        error={listError}
        selected={selected}
        onSelect={select}
        onCreate={() => void createSession()}
        onDelete={(id) => void deleteSession(id)}
        onForgetKey={
          apiKey
            ? () => {
                saveApiKey(undefined);
                setApiKey(undefined);
              }
            : undefined
        }
      />
      <main className="main">
        {selected ? (
          <ChatView
            key={selected}
            client={client}
            sessionId={selected}
            onActivity={() => void refresh()}
            onUnauthorized={handleError}
          />
        ) : (
          <Welcome onCreate={() => void createSession()} />
        )}
      </main>
    </div>
  );
}

function Welcome({ onCreate }: { onCreate: () => void }) {
  return (
    <div className="welcome">
      <div className="welcome-mark" aria-hidden="true" />
      <h1>agent-sessions</h1>
      <p>
        Durable Claude agent sessions. Replies stream live, survive reconnects, and every tool call
        that needs your approval asks first.
      </p>
      <button type="button" className="button primary" onClick={onCreate} data-testid="welcome-new">
        Start a new chat
      </button>
    </div>
  );
}
