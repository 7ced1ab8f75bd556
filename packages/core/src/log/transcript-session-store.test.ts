import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../store/memory-store.js';
import { createTranscriptSessionStore } from './transcript-session-store.js';

describe('createTranscriptSessionStore', () => {
  it('keys by session id and subpath, ignoring the projectKey (resume from any cwd)', async () => {
    const store = createMemoryStore();
    const sessionStore = createTranscriptSessionStore(store);
    const entries = [
      { type: 'user', uuid: 'u1', timestamp: '2026-11-24T00:00:00.000Z', message: { a: [1] } },
      { type: 'summary', summary: 'no uuid' },
    ];
    await sessionStore.append({ projectKey: '-work-node-a', sessionId: 's1' }, entries);
    // A retry from another node (another cwd, so another projectKey) stores nothing twice.
    await sessionStore.append({ projectKey: '-srv-node-b', sessionId: 's1' }, [entries[0]!]);
    expect(await sessionStore.load({ projectKey: '-anything', sessionId: 's1' })).toEqual(entries);
    expect(await store.loadTranscript('s1', '')).toEqual(entries);
    expect(await sessionStore.load({ projectKey: 'x', sessionId: 'unknown' })).toBeNull();
  });

  it('stores subagent transcripts under their subpath and lists them', async () => {
    const store = createMemoryStore();
    const sessionStore = createTranscriptSessionStore(store);
    const key = { projectKey: 'p', sessionId: 's1' };
    await sessionStore.append(key, [{ type: 'user', uuid: 'main' }]);
    await sessionStore.append({ ...key, subpath: 'subagents/agent-1' }, [
      { type: 'user', uuid: 'sub' },
    ]);
    expect(await sessionStore.listSubkeys?.(key)).toEqual(['subagents/agent-1']);
    expect(await sessionStore.load({ ...key, subpath: 'subagents/agent-1' })).toEqual([
      { type: 'user', uuid: 'sub' },
    ]);

    await sessionStore.delete?.({ ...key, subpath: 'subagents/agent-1' });
    expect(await sessionStore.listSubkeys?.(key)).toEqual([]);
    expect(await sessionStore.load(key)).toEqual([{ type: 'user', uuid: 'main' }]);

    await sessionStore.append({ ...key, subpath: 'subagents/agent-2' }, [{ type: 'user' }]);
    await sessionStore.delete?.(key);
    expect(await sessionStore.load(key)).toBeNull();
    expect(await sessionStore.listSubkeys?.(key)).toEqual([]);
  });
});
