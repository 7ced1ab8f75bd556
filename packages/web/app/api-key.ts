const storageKey = 'agent-sessions.apiKey';

/** The API key kept in this browser, if any. */
export function loadApiKey(): string | undefined {
  try {
    return localStorage.getItem(storageKey) ?? undefined;
  } catch {
    return undefined;
  }
}

/** Keeps (or, with undefined, forgets) the API key in this browser. */
export function saveApiKey(key: string | undefined): void {
  try {
    if (key) localStorage.setItem(storageKey, key);
    else localStorage.removeItem(storageKey);
  } catch {
    // Storage disabled: the key lives for this page only.
  }
}
