import type {
  CommitResult,
  LogEntry,
  NewLogEntry,
  Store,
  StoreMutation,
  Usage,
} from '@agent-sessions/core';
import { StoreError } from '@agent-sessions/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

/** What a store factory hands the suite; `cleanup` runs after `store.close()`. */
export interface StoreFixture {
  store: Store;
  cleanup?: () => Promise<void>;
}

function usage(inputTokens: number, outputTokens: number, cacheRead = 0, cacheCreation = 0): Usage {
  return {
    inputTokens,
    outputTokens,
    cacheReadInputTokens: cacheRead,
    cacheCreationInputTokens: cacheCreation,
  };
}

/** A nested, SDK-shaped message: what the runner stores verbatim. */
function sdkAssistantMessage(index: number): NewLogEntry {
  return {
    type: 'assistant',
    uuid: `8f0c2a52-0000-4000-8000-${String(index).padStart(12, '0')}`,
    session_id: 'sdk-session',
    parent_tool_use_id: null,
    message: {
      id: `msg_${index}`,
      role: 'assistant',
      model: 'claude-sonnet-4-5',
      content: [
        { type: 'text', text: `Hello ${index} — ünïcødé ✓ "quoted" \\ backslash\nnewline` },
        { type: 'tool_use', id: `toolu_${index}`, name: 'Bash', input: { command: 'ls -la' } },
      ],
      stop_reason: 'tool_use',
      usage: { input_tokens: 12, output_tokens: 34, cache_read_input_tokens: 0 },
    },
    nested: { deep: { deeper: [1, 2.5, -3e-7, true, false, null, { empty: {} }, []] } },
  };
}

async function expectStoreError(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error, `expected a StoreError ${code}`).not.toBeNull();
  expect(StoreError.is(error)).toBe(true);
  expect((error as StoreError).code).toBe(code);
}

function seqs(entries: LogEntry[]): number[] {
  return entries.map((entry) => entry.seq);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, index) => from + index);
}

function queuedCommit(messageId: string, clientMessageId: string | null, content: unknown) {
  return {
    entries: [
      {
        type: 'message.queued',
        messageId,
        ...(clientMessageId === null ? {} : { clientMessageId }),
        content,
        policy: 'enqueue',
      },
    ],
    mutations: [
      {
        kind: 'inbox.insert',
        message: { id: messageId, clientMessageId, content, policy: 'enqueue', createdAt: 1000 },
      },
    ] satisfies StoreMutation[],
    ...(clientMessageId === null ? {} : { dedupeClientMessageId: clientMessageId }),
  };
}

/**
 * The conformance suite every {@link Store} implementation runs: the memory store in core, the
 * SQLite store, and any later backend. `factory` gives a fresh, empty store per test.
 *
 * @example
 * ```ts
 * // memory-store.test.ts
 * import { describeStoreConformance } from '@agent-sessions/conformance';
 * describeStoreConformance('memory', async () => ({ store: createMemoryStore() }));
 * ```
 */
export function describeStoreConformance(name: string, factory: () => Promise<StoreFixture>): void {
  describe(`Store conformance: ${name}`, () => {
    let store: Store;
    let cleanup: (() => Promise<void>) | undefined;

    beforeEach(async () => {
      const fixture = await factory();
      store = fixture.store;
      cleanup = fixture.cleanup;
    });

    afterEach(async () => {
      await store.close();
      await cleanup?.();
    });

    describe('sessions', () => {
      it('creates a session with defaults and reads it back', async () => {
        const created = await store.createSession({
          id: 's1',
          tenantId: 't1',
          title: 'First',
          options: { model: 'm', nested: { a: [1, 2] } },
          now: 1_000,
        });
        expect(created).toEqual({
          id: 's1',
          tenantId: 't1',
          title: 'First',
          options: { model: 'm', nested: { a: [1, 2] } },
          status: 'idle',
          sdkSessionId: null,
          sdkStarted: false,
          createdAt: 1_000,
          updatedAt: 1_000,
          lastActiveAt: 1_000,
          lastSeq: 0,
          turnCount: 0,
          messageCount: 0,
          usage: usage(0, 0),
          costUsd: 0,
        });
        expect(await store.getSession('s1')).toEqual(created);
        expect(await store.getSession('missing')).toBeNull();
        const bare = await store.createSession({ id: 's2', tenantId: 't1' });
        expect(bare.title).toBeNull();
        expect(bare.options).toEqual({});
        expect(Math.abs(bare.createdAt - Date.now())).toBeLessThan(60_000);
      });

      it('refuses a second session with the same id', async () => {
        await store.createSession({ id: 's1', tenantId: 't1', title: 'one' });
        await expectStoreError(store.createSession({ id: 's1', tenantId: 't2' }), 'SESSION_EXISTS');
        expect((await store.getSession('s1'))?.tenantId).toBe('t1');
      });

      it('returns copies: mutating a returned record changes nothing stored', async () => {
        const created = await store.createSession({ id: 's1', tenantId: 't1', options: { a: 1 } });
        created.options.a = 2;
        created.usage.inputTokens = 99;
        const read = await store.getSession('s1');
        expect(read?.options).toEqual({ a: 1 });
        expect(read?.usage.inputTokens).toBe(0);
      });

      it('lists a tenant newest first, page by page, without other tenants', async () => {
        const times = [100, 200, 200, 300, 400, 400, 400, 500];
        for (const [index, time] of times.entries()) {
          await store.createSession({ id: `a${index}`, tenantId: 'A', now: time });
        }
        for (let index = 0; index < 3; index += 1) {
          await store.createSession({ id: `b${index}`, tenantId: 'B', now: 250 + index });
        }
        const seen: string[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const page = await store.listSessions({ tenantId: 'A', cursor, limit: 3 });
          expect(page.items.length).toBeLessThanOrEqual(3);
          seen.push(...page.items.map((session) => session.id));
          for (const item of page.items) expect(item.tenantId).toBe('A');
          cursor = page.nextCursor;
          pages += 1;
        } while (cursor !== null && pages < 10);
        expect(pages).toBe(3);
        // Newest first; equal createdAt ordered by id descending.
        expect(seen).toEqual(['a7', 'a6', 'a5', 'a4', 'a3', 'a2', 'a1', 'a0']);
        const tenantB = await store.listSessions({ tenantId: 'B' });
        expect(tenantB.items.map((session) => session.id)).toEqual(['b2', 'b1', 'b0']);
        expect(tenantB.nextCursor).toBeNull();
        expect((await store.listSessions({ tenantId: 'nobody' })).items).toEqual([]);
      });

      it('lists open sessions (not closed) for recovery', async () => {
        await store.createSession({ id: 'open1', tenantId: 't', now: 1 });
        await store.createSession({ id: 'closed1', tenantId: 't', now: 2 });
        await store.createSession({ id: 'hibernated1', tenantId: 'u', now: 3 });
        await store.commit('closed1', {
          entries: [{ type: 'session.status', status: 'closed' }],
          mutations: [{ kind: 'session.update', patch: { status: 'closed' } }],
        });
        await store.commit('hibernated1', {
          entries: [],
          mutations: [{ kind: 'session.update', patch: { status: 'hibernated' } }],
        });
        const open = await store.listOpenSessions();
        expect(open.map((session) => session.id).sort()).toEqual(['hibernated1', 'open1']);
        expect(open.find((session) => session.id === 'hibernated1')?.status).toBe('hibernated');
      });

      it('lists sessions inactive since a time, oldest first, for retention', async () => {
        await store.createSession({ id: 'old', tenantId: 't', now: 1_000 });
        await store.createSession({ id: 'older', tenantId: 't', now: 500 });
        await store.createSession({ id: 'touched', tenantId: 't', now: 600 });
        await store.createSession({ id: 'new', tenantId: 't', now: 5_000 });
        await store.commit('touched', {
          entries: [],
          mutations: [{ kind: 'session.update', patch: { lastActiveAt: 6_000 } }],
        });
        expect(await store.listSessionsInactiveSince(2_000)).toEqual(['older', 'old']);
        expect(await store.listSessionsInactiveSince(2_000, 1)).toEqual(['older']);
        expect(await store.listSessionsInactiveSince(500)).toEqual([]);
      });

      it('deletes a session and everything that belongs to it', async () => {
        await store.createSession({ id: 's1', tenantId: 't1', now: 1 });
        await store.createSession({ id: 'keep', tenantId: 't1', now: 2 });
        await store.commit('s1', queuedCommit('m1', 'c1', 'hello'));
        await store.commit('s1', {
          entries: [{ type: 'permission.request', requestId: 'p1' }],
          mutations: [
            { kind: 'session.update', patch: { sdkSessionId: 'sdk-1' } },
            {
              kind: 'permission.insert',
              permission: {
                requestId: 'p1',
                messageId: 'm1',
                toolName: 'Bash',
                input: {},
                createdAt: 5,
              },
            },
            {
              kind: 'turn.record',
              turn: {
                messageId: 'm1',
                outcome: 'success',
                costUsd: 0.5,
                durationMs: 10,
                usage: usage(1, 2),
                endedAt: 10,
              },
            },
          ],
        });
        await store.appendTranscript('s1', '', [{ type: 'user', uuid: 'u1' }]);
        await store.appendTranscript('s1', 'subagents/agent-x', [{ type: 'user', uuid: 'u2' }]);
        await store.appendTranscript('sdk-1', '', [{ type: 'user', uuid: 'u3' }]);
        await store.appendTranscript('sdk-1', 'subagents/agent-y', [{ type: 'user', uuid: 'u5' }]);
        // A reset switches to a new SDK conversation: the earlier one still belongs to s1.
        await store.commit('s1', {
          entries: [{ type: 'session.reset' }],
          mutations: [{ kind: 'session.update', patch: { sdkSessionId: 'sdk-2' } }],
        });
        await store.appendTranscript('sdk-2', '', [{ type: 'user', uuid: 'u4' }]);
        await store.commit('keep', queuedCommit('m2', 'c1', 'other'));
        await store.appendTranscript('keep', '', [{ type: 'user', uuid: 'u1' }]);

        expect(await store.deleteSession('s1')).toBe(true);
        expect(await store.getSession('s1')).toBeNull();
        expect(await store.readLog('s1')).toEqual([]);
        expect(await store.lastSeq('s1')).toBe(0);
        expect(await store.getMessage('m1')).toBeNull();
        expect(await store.findMessageByClientId('s1', 'c1')).toBeNull();
        expect(await store.listMessages('s1', ['queued', 'started', 'completed'])).toEqual([]);
        expect(await store.getPermission('p1')).toBeNull();
        expect(await store.listPendingPermissions('s1')).toEqual([]);
        expect(await store.listTurns('s1')).toEqual([]);
        // The tenant's spend is not refunded by deleting the session (daily budgets).
        expect(await store.tenantCostSince('t1', 0)).toBeCloseTo(0.5, 10);
        expect(await store.loadTranscript('s1', '')).toBeNull();
        expect(await store.loadTranscript('s1', 'subagents/agent-x')).toBeNull();
        expect(await store.listTranscriptSubpaths('s1')).toEqual([]);
        // Every SDK conversation the session ever had goes, not only the current one.
        expect(await store.loadTranscript('sdk-1', '')).toBeNull();
        expect(await store.listTranscriptSubpaths('sdk-1')).toEqual([]);
        expect(await store.loadTranscript('sdk-2', '')).toBeNull();
        expect(await store.deleteSession('s1')).toBe(false);
        expect((await store.listSessions({ tenantId: 't1' })).items.map((s) => s.id)).toEqual([
          'keep',
        ]);
        // The neighbour is untouched.
        expect(await store.lastSeq('keep')).toBe(1);
        expect((await store.findMessageByClientId('keep', 'c1'))?.id).toBe('m2');
        expect(await store.loadTranscript('keep', '')).toEqual([{ type: 'user', uuid: 'u1' }]);
        // The id can be used again and starts from scratch.
        await store.createSession({ id: 's1', tenantId: 't1' });
        const { entries } = await store.commit('s1', { entries: [{ type: 'x' }] });
        expect(seqs(entries)).toEqual([1]);
      });
    });

    describe('the event log', () => {
      it('assigns seq from 1, strictly +1, across commits of any size', async () => {
        await store.createSession({ id: 's1', tenantId: 't' });
        const sizes = [1, 3, 0, 2, 1];
        const all: number[] = [];
        for (const size of sizes) {
          const result = await store.commit('s1', {
            entries: Array.from({ length: size }, (_, index) => ({ type: 'e', index })),
          });
          expect(result.entries).toHaveLength(size);
          expect(result.duplicate).toBeUndefined();
          all.push(...seqs(result.entries));
        }
        expect(all).toEqual(range(1, 7));
        expect(seqs(await store.readLog('s1'))).toEqual(range(1, 7));
        expect(await store.lastSeq('s1')).toBe(7);
        expect((await store.getSession('s1'))?.lastSeq).toBe(7);
        expect(await store.lastSeq('missing')).toBe(0);
        expect(await store.readLog('missing')).toEqual([]);
      });

      it('keeps seq per session independent', async () => {
        await store.createSession({ id: 's1', tenantId: 't' });
        await store.createSession({ id: 's2', tenantId: 't' });
        await store.commit('s1', { entries: [{ type: 'a' }, { type: 'b' }] });
        const second = await store.commit('s2', { entries: [{ type: 'c' }] });
        expect(seqs(second.entries)).toEqual([1]);
      });

      it('gives 8 concurrent writers on one session seq 1..N with no gap', async () => {
        await store.createSession({ id: 's1', tenantId: 't' });
        const writers = 8;
        const commitsPerWriter = 25;
        const results: CommitResult[][] = await Promise.all(
          Array.from({ length: writers }, async (_, writer) => {
            const mine: CommitResult[] = [];
            for (let commit = 0; commit < commitsPerWriter; commit += 1) {
              const size = 1 + ((writer + commit) % 3);
              mine.push(
                await store.commit('s1', {
                  entries: Array.from({ length: size }, (_, part) => ({
                    type: 'w',
                    writer,
                    commit,
                    part,
                  })),
                }),
              );
              // Spread writers over ticks, as real producers are.
              if (commit % 5 === writer % 5) await new Promise((resolve) => setImmediate(resolve));
            }
            return mine;
          }),
        );
        const total = results.flat().reduce((sum, result) => sum + result.entries.length, 0);
        const log = await store.readLog('s1');
        expect(seqs(log)).toEqual(range(1, total));
        expect(await store.lastSeq('s1')).toBe(total);
        // Each commit got a contiguous run, and every writer's commits are in its own order.
        for (const [writer, mine] of results.entries()) {
          let previous = 0;
          for (const [commit, result] of mine.entries()) {
            const runs = seqs(result.entries);
            expect(runs).toEqual(range(runs[0]!, runs[0]! + runs.length - 1));
            expect(runs[0]!).toBeGreaterThan(previous);
            previous = runs.at(-1)!;
            for (const [part, entry] of result.entries.entries()) {
              expect(log[entry.seq - 1]).toEqual({
                type: 'w',
                writer,
                commit,
                part,
                seq: entry.seq,
              });
            }
          }
        }
      });

      it('returns entries verbatim with their seq (nested SDK objects)', async () => {
        await store.createSession({ id: 's1', tenantId: 't' });
        const originals = [sdkAssistantMessage(1), sdkAssistantMessage(2)];
        const input = structuredClone(originals);
        const { entries } = await store.commit('s1', { entries: input });
        const expected = originals.map((entry, index) => ({ ...entry, seq: index + 1 }));
        expect(entries).toEqual(expected);
        // The caller's objects are not the stored ones.
        (input[0]!.message as { id: string }).id = 'changed';
        (entries[1]!.message as { id: string }).id = 'changed too';
        expect(await store.readLog('s1')).toEqual(expected);
      });

      it('reads after a seq, with a limit', async () => {
        await store.createSession({ id: 's1', tenantId: 't' });
        await store.commit('s1', {
          entries: Array.from({ length: 10 }, (_, index) => ({ type: 'e', index })),
        });
        expect(seqs(await store.readLog('s1', { after: 0 }))).toEqual(range(1, 10));
        expect(seqs(await store.readLog('s1', { after: 4 }))).toEqual(range(5, 10));
        expect(seqs(await store.readLog('s1', { after: 4, limit: 3 }))).toEqual([5, 6, 7]);
        expect(seqs(await store.readLog('s1', { limit: 2 }))).toEqual([1, 2]);
        expect(await store.readLog('s1', { after: 10 })).toEqual([]);
        expect(await store.readLog('s1', { after: 50 })).toEqual([]);
        expect(await store.readLog('s1', { after: 3, limit: 0 })).toEqual([]);
        expect((await store.readLog('s1', { after: 8 }))[0]).toEqual({
          type: 'e',
          index: 8,
          seq: 9,
        });
      });

      it('reads the log as JSON text identical to JSON.stringify of readLog (when offered)', async () => {
        await store.createSession({ id: 's1', tenantId: 't' });
        const entries: NewLogEntry[] = [
          sdkAssistantMessage(1),
          { type: 'e', index: 1 },
          // An entry with its own `seq` key, and one with "seq" only nested: the store's seq
          // wins, in the key position readLog gives it.
          { seq: 99, type: 'own-seq', text: 'x' },
          { type: 'nested', inner: { seq: 5 }, note: '"seq":' },
          { type: 'odd', text: '}{ \u2028 \u0000', empty: {}, list: [] },
        ];
        await store.commit('s1', { entries });
        await store.commit('s1', { entries: [{ type: 'later' }] });
        const readLogJson = store.readLogJson?.bind(store);
        if (!readLogJson) return;
        const objects = await store.readLog('s1');
        const texts = await readLogJson('s1');
        expect(texts.map((entry) => entry.seq)).toEqual(range(1, 6));
        expect(texts.map((entry) => entry.json)).toEqual(
          objects.map((entry) => JSON.stringify(entry)),
        );
        expect(JSON.parse(texts[2]!.json)).toEqual({ seq: 3, type: 'own-seq', text: 'x' });
        expect((await readLogJson('s1', { after: 2, limit: 2 })).map((entry) => entry.seq)).toEqual(
          [3, 4],
        );
        expect(await readLogJson('s1', { after: 6 })).toEqual([]);
        expect(await readLogJson('s1', { after: 1, limit: 0 })).toEqual([]);
        expect(await readLogJson('ghost')).toEqual([]);
      });

      it('updates updatedAt on every commit and keeps createdAt', async () => {
        await store.createSession({ id: 's1', tenantId: 't', now: 1_000 });
        const before = Date.now();
        await store.commit('s1', { entries: [{ type: 'x' }] });
        const session = await store.getSession('s1');
        expect(session?.createdAt).toBe(1_000);
        expect(session?.updatedAt).toBeGreaterThanOrEqual(before);
      });

      it('rejects a commit to an unknown session without side effects', async () => {
        await store.createSession({ id: 's1', tenantId: 't' });
        await expectStoreError(
          store.commit('ghost', queuedCommit('m-ghost', 'c-ghost', 'boo')),
          'SESSION_NOT_FOUND',
        );
        expect(await store.getSession('ghost')).toBeNull();
        expect(await store.readLog('ghost')).toEqual([]);
        expect(await store.getMessage('m-ghost')).toBeNull();
        expect(await store.lastSeq('s1')).toBe(0);
      });

      it('rolls back a whole commit when one mutation cannot apply', async () => {
        await store.createSession({ id: 's1', tenantId: 't' });
        await store.commit('s1', queuedCommit('m1', null, 'first'));
        const before = await store.getSession('s1');
        await expectStoreError(
          store.commit('s1', {
            entries: [{ type: 'message.started', messageId: 'm1' }, { type: 'x' }],
            mutations: [
              { kind: 'inbox.update', messageId: 'm1', status: 'started', at: 5 },
              { kind: 'session.update', patch: { status: 'running', title: 'changed' } },
              {
                kind: 'turn.record',
                turn: {
                  messageId: 'm1',
                  outcome: 'success',
                  costUsd: 1,
                  durationMs: 1,
                  usage: usage(1, 1),
                  endedAt: 6,
                },
              },
              { kind: 'inbox.update', messageId: 'nope', status: 'completed', at: 6 },
            ],
          }),
          'MESSAGE_NOT_FOUND',
        );
        expect(await store.getSession('s1')).toEqual(before);
        expect(seqs(await store.readLog('s1'))).toEqual([1]);
        expect((await store.getMessage('m1'))?.status).toBe('queued');
        expect(await store.listTurns('s1')).toEqual([]);
        // The next commit takes the next seq: the refused one left no hole.
        expect(seqs((await store.commit('s1', { entries: [{ type: 'y' }] })).entries)).toEqual([2]);
      });

      it('does not fail the neighbours of a failing commit (same tick)', async () => {
        await store.createSession({ id: 's1', tenantId: 't' });
        await store.createSession({ id: 's2', tenantId: 't' });
        const outcomes = await Promise.allSettled([
          store.commit('s1', { entries: [{ type: 'a' }] }),
          store.commit('s1', {
            entries: [{ type: 'bad' }],
            mutations: [{ kind: 'inbox.update', messageId: 'nope', status: 'started', at: 1 }],
          }),
          store.commit('ghost', { entries: [{ type: 'bad' }] }),
          store.commit('s1', { entries: [{ type: 'b' }, { type: 'c' }] }),
          store.commit('s2', { entries: [{ type: 'd' }] }),
        ]);
        expect(outcomes.map((outcome) => outcome.status)).toEqual([
          'fulfilled',
          'rejected',
          'rejected',
          'fulfilled',
          'fulfilled',
        ]);
        const fulfilled = outcomes.filter(
          (outcome): outcome is PromiseFulfilledResult<CommitResult> =>
            outcome.status === 'fulfilled',
        );
        expect(fulfilled.map((outcome) => seqs(outcome.value.entries))).toEqual([[1], [2, 3], [1]]);
        expect((await store.readLog('s1')).map((entry) => entry.type)).toEqual(['a', 'b', 'c']);
        expect(await store.getSession('ghost')).toBeNull();
      });
    });

    describe('commit mutations', () => {
      it('runs the inbox lifecycle queued -> started -> completed', async () => {
        await store.createSession({ id: 's1', tenantId: 't' });
        await store.commit('s1', { entries: [{ type: 'session.status', status: 'idle' }] });
        const content = [{ type: 'text', text: 'hi' }];
        const queued = await store.commit('s1', queuedCommit('m1', 'c1', content));
        expect(seqs(queued.entries)).toEqual([2]);
        expect(await store.getMessage('m1')).toEqual({
          id: 'm1',
          sessionId: 's1',
          clientMessageId: 'c1',
          content,
          policy: 'enqueue',
          status: 'queued',
          seq: 2,
          createdAt: 1000,
          startedAt: null,
          endedAt: null,
          reason: null,
        });
        expect((await store.getSession('s1'))?.messageCount).toBe(1);
        expect((await store.listMessages('s1', 'queued')).map((m) => m.id)).toEqual(['m1']);

        await store.commit('s1', {
          entries: [{ type: 'message.started', messageId: 'm1' }],
          mutations: [
            { kind: 'inbox.update', messageId: 'm1', status: 'started', at: 2000 },
            { kind: 'session.update', patch: { status: 'running' } },
          ],
        });
        let message = await store.getMessage('m1');
        expect(message?.status).toBe('started');
        expect(message?.startedAt).toBe(2000);
        expect(await store.listMessages('s1', 'queued')).toEqual([]);
        expect((await store.getSession('s1'))?.status).toBe('running');

        await store.commit('s1', {
          entries: [{ type: 'turn.ended', messageId: 'm1', outcome: 'success' }],
          mutations: [
            {
              kind: 'inbox.update',
              messageId: 'm1',
              status: 'completed',
              at: 3000,
              reason: 'success',
            },
          ],
        });
        message = await store.getMessage('m1');
        expect(message?.status).toBe('completed');
        expect(message?.startedAt).toBe(2000);
        expect(message?.endedAt).toBe(3000);
        expect(message?.reason).toBe('success');
        expect((await store.findMessageByClientId('s1', 'c1'))?.id).toBe('m1');
        expect(await store.findMessageByClientId('s1', 'other')).toBeNull();
        expect(await store.getMessage('missing')).toBeNull();
      });

      it('cancels queued messages and lists by status in seq order', async () => {
        await store.createSession({ id: 's1', tenantId: 't' });
        for (const id of ['m1', 'm2', 'm3']) await store.commit('s1', queuedCommit(id, null, id));
        await store.commit('s1', {
          entries: [{ type: 'message.cancelled', messageId: 'm2', reason: 'reset' }],
          mutations: [
            { kind: 'inbox.update', messageId: 'm2', status: 'cancelled', at: 9, reason: 'reset' },
          ],
        });
        const cancelled = await store.getMessage('m2');
        expect(cancelled?.status).toBe('cancelled');
        expect(cancelled?.endedAt).toBe(9);
        expect(cancelled?.reason).toBe('reset');
        expect((await store.listMessages('s1', 'queued')).map((m) => m.id)).toEqual(['m1', 'm3']);
        expect(
          (await store.listMessages('s1', ['queued', 'cancelled'])).map((m) => [m.id, m.seq]),
        ).toEqual([
          ['m1', 1],
          ['m2', 2],
          ['m3', 3],
        ]);
        expect((await store.getSession('s1'))?.messageCount).toBe(3);
      });

      it('inserts and updates a message in one commit', async () => {
        await store.createSession({ id: 's1', tenantId: 't' });
        const commit = queuedCommit('m1', null, 'x');
        await store.commit('s1', {
          entries: [...commit.entries, { type: 'message.started', messageId: 'm1' }],
          mutations: [
            ...commit.mutations,
            { kind: 'inbox.update', messageId: 'm1', status: 'started', at: 7 },
          ],
        });
        const message = await store.getMessage('m1');
        expect(message?.status).toBe('started');
        expect(message?.seq).toBe(1);
      });

      it('refuses a reused message id or client message id without dedupe', async () => {
        await store.createSession({ id: 's1', tenantId: 't' });
        await store.createSession({ id: 's2', tenantId: 't' });
        await store.commit('s1', queuedCommit('m1', 'c1', 'x'));
        const reuseId = queuedCommit('m1', null, 'y');
        await expectStoreError(store.commit('s1', reuseId), 'CONFLICT');
        const reuseClient = { ...queuedCommit('m2', 'c1', 'y'), dedupeClientMessageId: undefined };
        await expectStoreError(store.commit('s1', reuseClient), 'CONFLICT');
        expect(await store.lastSeq('s1')).toBe(1);
        // Client ids are per session.
        await store.commit('s2', queuedCommit('m3', 'c1', 'z'));
        expect((await store.findMessageByClientId('s2', 'c1'))?.id).toBe('m3');
      });

      it('records permission requests and their answers', async () => {
        await store.createSession({ id: 's1', tenantId: 't' });
        const request = (requestId: string, createdAt: number): StoreMutation => ({
          kind: 'permission.insert',
          permission: {
            requestId,
            messageId: null,
            toolName: 'Bash',
            input: { command: 'rm -rf /tmp/x', nested: [1, { a: null }] },
            createdAt,
          },
        });
        await store.commit('s1', {
          entries: [{ type: 'permission.request', requestId: 'p1' }],
          mutations: [request('p1', 10), request('p2', 11)],
        });
        expect(await store.getPermission('p1')).toEqual({
          requestId: 'p1',
          sessionId: 's1',
          messageId: null,
          toolName: 'Bash',
          input: { command: 'rm -rf /tmp/x', nested: [1, { a: null }] },
          status: 'pending',
          message: null,
          createdAt: 10,
          resolvedAt: null,
        });
        expect((await store.listPendingPermissions('s1')).map((p) => p.requestId)).toEqual([
          'p1',
          'p2',
        ]);
        await store.commit('s1', {
          entries: [{ type: 'permission.resolved', requestId: 'p1', behavior: 'deny' }],
          mutations: [
            {
              kind: 'permission.resolve',
              requestId: 'p1',
              behavior: 'deny',
              message: 'no',
              at: 20,
            },
          ],
        });
        const resolved = await store.getPermission('p1');
        expect(resolved?.status).toBe('deny');
        expect(resolved?.message).toBe('no');
        expect(resolved?.resolvedAt).toBe(20);
        expect((await store.listPendingPermissions('s1')).map((p) => p.requestId)).toEqual(['p2']);
        // A second answer is refused, atomically with its log entry.
        await expectStoreError(
          store.commit('s1', {
            entries: [{ type: 'permission.resolved', requestId: 'p1', behavior: 'allow' }],
            mutations: [{ kind: 'permission.resolve', requestId: 'p1', behavior: 'allow', at: 30 }],
          }),
          'CONFLICT',
        );
        await expectStoreError(
          store.commit('s1', {
            entries: [],
            mutations: [{ kind: 'permission.resolve', requestId: 'px', behavior: 'allow', at: 30 }],
          }),
          'PERMISSION_NOT_FOUND',
        );
        await expectStoreError(
          store.commit('s1', { entries: [], mutations: [request('p2', 12)] }),
          'CONFLICT',
        );
        expect((await store.getPermission('p1'))?.status).toBe('deny');
        expect(await store.lastSeq('s1')).toBe(2);
        expect(await store.getPermission('missing')).toBeNull();
      });

      it('records turns and keeps session totals and tenant cost', async () => {
        await store.createSession({ id: 's1', tenantId: 't1' });
        await store.createSession({ id: 's2', tenantId: 't1' });
        await store.createSession({ id: 'other', tenantId: 't2' });
        const turn = (
          messageId: string,
          costUsd: number,
          endedAt: number,
          tokens: Usage,
        ): StoreMutation => ({
          kind: 'turn.record',
          turn: { messageId, outcome: 'success', costUsd, durationMs: 42, usage: tokens, endedAt },
        });
        await store.commit('s1', {
          entries: [{ type: 'turn.ended', messageId: 'm1' }],
          mutations: [turn('m1', 0.25, 1_000, usage(100, 50, 10, 5))],
        });
        await store.commit('s1', {
          entries: [{ type: 'turn.ended', messageId: 'm2' }],
          mutations: [
            {
              kind: 'turn.record',
              turn: {
                messageId: 'm2',
                outcome: 'interrupted',
                costUsd: 0.125,
                durationMs: 7,
                usage: usage(1, 2, 3, 4),
                endedAt: 2_000,
              },
            },
          ],
        });
        await store.commit('s2', { entries: [], mutations: [turn('m3', 1, 3_000, usage(1, 1))] });
        await store.commit('other', {
          entries: [],
          mutations: [turn('m4', 8, 3_000, usage(1, 1))],
        });

        const session = await store.getSession('s1');
        expect(session?.turnCount).toBe(2);
        expect(session?.costUsd).toBeCloseTo(0.375, 10);
        expect(session?.usage).toEqual(usage(101, 52, 13, 9));
        expect(await store.listTurns('s1')).toEqual([
          {
            messageId: 'm1',
            sessionId: 's1',
            outcome: 'success',
            costUsd: 0.25,
            durationMs: 42,
            usage: usage(100, 50, 10, 5),
            endedAt: 1_000,
          },
          {
            messageId: 'm2',
            sessionId: 's1',
            outcome: 'interrupted',
            costUsd: 0.125,
            durationMs: 7,
            usage: usage(1, 2, 3, 4),
            endedAt: 2_000,
          },
        ]);
        expect(await store.tenantCostSince('t1', 0)).toBeCloseTo(1.375, 10);
        expect(await store.tenantCostSince('t1', 1_500)).toBeCloseTo(1.125, 10);
        expect(await store.tenantCostSince('t1', 3_001)).toBe(0);
        expect(await store.tenantCostSince('t2', 0)).toBeCloseTo(8, 10);
        expect(await store.tenantCostSince('nobody', 0)).toBe(0);
      });

      it("keeps counting a deleted session's cost in the tenant's spend (no budget escape)", async () => {
        await store.createSession({ id: 's1', tenantId: 't1' });
        await store.createSession({ id: 's2', tenantId: 't1' });
        const spend = (messageId: string, costUsd: number, endedAt: number): StoreMutation => ({
          kind: 'turn.record',
          turn: {
            messageId,
            outcome: 'success',
            costUsd,
            durationMs: 1,
            usage: usage(1, 1),
            endedAt,
          },
        });
        await store.commit('s1', { entries: [], mutations: [spend('m1', 0.75, 1_000)] });
        await store.commit('s2', { entries: [], mutations: [spend('m2', 0.5, 2_000)] });
        expect(await store.tenantCostSince('t1', 0)).toBeCloseTo(1.25, 10);

        expect(await store.deleteSession('s1')).toBe(true);
        expect(await store.deleteSession('s2')).toBe(true);
        expect(await store.tenantCostSince('t1', 0)).toBeCloseTo(1.25, 10);
        expect(await store.tenantCostSince('t1', 1_500)).toBeCloseTo(0.5, 10);
        // A new session with a reused id adds to the spend; it does not replace it.
        await store.createSession({ id: 's1', tenantId: 't1' });
        await store.commit('s1', { entries: [], mutations: [spend('m1', 0.25, 3_000)] });
        expect(await store.tenantCostSince('t1', 0)).toBeCloseTo(1.5, 10);
      });

      it('applies session.update patches', async () => {
        await store.createSession({ id: 's1', tenantId: 't', title: 'old', options: { a: 1 } });
        await store.commit('s1', {
          entries: [{ type: 'session.status', status: 'waiting_permission' }],
          mutations: [
            {
              kind: 'session.update',
              patch: {
                status: 'waiting_permission',
                title: 'new',
                sdkSessionId: 'sdk-9',
                sdkStarted: true,
                lastActiveAt: 12_345,
                options: { b: [2] },
              },
            },
          ],
        });
        let session = await store.getSession('s1');
        expect(session).toMatchObject({
          status: 'waiting_permission',
          title: 'new',
          sdkSessionId: 'sdk-9',
          sdkStarted: true,
          lastActiveAt: 12_345,
          options: { b: [2] },
        });
        await store.commit('s1', {
          entries: [],
          mutations: [
            { kind: 'session.update', patch: { sdkSessionId: null, sdkStarted: false } },
            { kind: 'session.update', patch: { title: null } },
          ],
        });
        session = await store.getSession('s1');
        expect(session).toMatchObject({
          status: 'waiting_permission',
          title: null,
          sdkSessionId: null,
          sdkStarted: false,
          lastActiveAt: 12_345,
        });
        expect(session?.lastSeq).toBe(1);
      });
    });

    describe('idempotency by clientMessageId', () => {
      it('returns the existing message and writes nothing for a resend', async () => {
        await store.createSession({ id: 's1', tenantId: 't' });
        const first = await store.commit('s1', queuedCommit('m1', 'c1', 'hello'));
        expect(first.duplicate).toBeUndefined();
        const again = await store.commit('s1', queuedCommit('m2', 'c1', 'hello'));
        expect(again.entries).toEqual([]);
        expect(again.duplicate?.id).toBe('m1');
        expect(again.duplicate?.seq).toBe(1);
        expect(await store.lastSeq('s1')).toBe(1);
        expect(await store.getMessage('m2')).toBeNull();
        expect((await store.getSession('s1'))?.messageCount).toBe(1);
      });

      it('queues exactly once when two commits with the same id race', async () => {
        await store.createSession({ id: 's1', tenantId: 't' });
        const results = await Promise.all([
          store.commit('s1', queuedCommit('m1', 'c1', 'hello')),
          store.commit('s1', queuedCommit('m2', 'c1', 'hello')),
          store.commit('s1', queuedCommit('m3', 'c2', 'other')),
          store.commit('s1', queuedCommit('m4', 'c1', 'hello')),
        ]);
        const written = results.filter((result) => result.duplicate === undefined);
        const duplicates = results.filter((result) => result.duplicate !== undefined);
        expect(written).toHaveLength(2);
        expect(duplicates).toHaveLength(2);
        const winner = await store.findMessageByClientId('s1', 'c1');
        for (const duplicate of duplicates) expect(duplicate.duplicate?.id).toBe(winner?.id);
        expect((await store.listMessages('s1', 'queued')).map((m) => m.clientMessageId)).toEqual([
          'c1',
          'c2',
        ]);
        expect(seqs(await store.readLog('s1'))).toEqual([1, 2]);
      });
    });

    describe('SDK transcript', () => {
      it('appends and loads in order, idempotent by uuid', async () => {
        expect(await store.loadTranscript('s1', '')).toBeNull();
        const batch = [
          { type: 'user', uuid: 'u1', message: { content: [{ type: 'text', text: 'a' }] } },
          { type: 'custom-title', title: 'no uuid' },
          { type: 'assistant', uuid: 'u2', nested: { x: [1, null, true] } },
        ];
        await store.appendTranscript('s1', '', batch);
        // A retry of the same batch, plus a duplicate inside one batch.
        await store.appendTranscript('s1', '', [
          ...batch,
          { type: 'user', uuid: 'u3' },
          { type: 'user', uuid: 'u3' },
        ]);
        expect(await store.loadTranscript('s1', '')).toEqual([
          batch[0],
          batch[1],
          batch[2],
          batch[1],
          { type: 'user', uuid: 'u3' },
        ]);
        await store.appendTranscript('s1', '', []);
        expect(await store.loadTranscript('s1', '')).toHaveLength(5);
        expect(await store.loadTranscript('never', '')).toBeNull();
        await store.appendTranscript('empty', '', []);
        expect(await store.loadTranscript('empty', '')).toBeNull();
      });

      it('keeps subpaths apart and deletes one or all', async () => {
        await store.appendTranscript('s1', '', [{ type: 'user', uuid: 'u1' }]);
        await store.appendTranscript('s1', 'subagents/agent-a', [{ type: 'user', uuid: 'u1' }]);
        await store.appendTranscript('s1', 'subagents/agent-b', [{ type: 'user', uuid: 'u9' }]);
        await store.appendTranscript('s2', '', [{ type: 'user', uuid: 'u1' }]);
        expect(await store.loadTranscript('s1', 'subagents/agent-a')).toEqual([
          { type: 'user', uuid: 'u1' },
        ]);
        expect((await store.listTranscriptSubpaths('s1')).sort()).toEqual([
          'subagents/agent-a',
          'subagents/agent-b',
        ]);
        expect(await store.listTranscriptSubpaths('s2')).toEqual([]);
        await store.deleteTranscript('s1', 'subagents/agent-a');
        expect(await store.loadTranscript('s1', 'subagents/agent-a')).toBeNull();
        expect(await store.listTranscriptSubpaths('s1')).toEqual(['subagents/agent-b']);
        expect(await store.loadTranscript('s1', '')).toHaveLength(1);
        await store.deleteTranscript('s1');
        expect(await store.loadTranscript('s1', '')).toBeNull();
        expect(await store.listTranscriptSubpaths('s1')).toEqual([]);
        expect(await store.loadTranscript('s2', '')).toHaveLength(1);
        // Deleted uuids may be stored again.
        await store.appendTranscript('s1', '', [{ type: 'user', uuid: 'u1' }]);
        expect(await store.loadTranscript('s1', '')).toHaveLength(1);
      });
    });
  });
}
