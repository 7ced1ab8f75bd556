import type { SessionStore, SessionStoreEntry } from '@anthropic-ai/claude-agent-sdk';
import type { Store } from '../store/store.js';

/**
 * The SDK's `sessionStore` option backed by a {@link Store}: the CLI's transcript is mirrored
 * into the store, and a resume on any node (even with an empty `CLAUDE_CONFIG_DIR`) loads it
 * back. Keyed by `key.sessionId` and `key.subpath` only: the SDK's `projectKey` (the sanitized
 * cwd by default) is ignored, so a session resumes from any working directory. Entries are
 * idempotent by `uuid`, so the SDK's retries never duplicate a line.
 *
 * `listSessions` is left out on purpose: it would list every tenant's sessions, and the
 * service lists sessions through its own store.
 *
 * @example
 * ```ts
 * const sessionStore = createTranscriptSessionStore(store);
 * query({ prompt, options: { sessionId, resume: sessionId, sessionStore } });
 * ```
 */
export function createTranscriptSessionStore(store: Store): SessionStore {
  return {
    async append(key, entries) {
      await store.appendTranscript(key.sessionId, key.subpath ?? '', entries);
    },
    async load(key) {
      const entries = await store.loadTranscript(key.sessionId, key.subpath ?? '');
      return entries as SessionStoreEntry[] | null;
    },
    async delete(key) {
      await store.deleteTranscript(key.sessionId, key.subpath);
    },
    async listSubkeys(key) {
      return store.listTranscriptSubpaths(key.sessionId);
    },
  };
}
