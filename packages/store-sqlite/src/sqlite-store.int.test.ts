import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeEventLogConformance, describeStoreConformance } from '@agent-sessions/conformance';
import { createMemoryBus } from '@agent-sessions/core';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from './migrate.js';
import { migrations } from './migrations.js';
import { createSqliteStore } from './sqlite-store.js';

function temporaryDatabase(): { path: string; cleanup: () => Promise<void> } {
  const directory = mkdtempSync(join(tmpdir(), 'agent-sessions-sqlite-'));
  return {
    path: join(directory, 'store.db'),
    cleanup: async () => rmSync(directory, { recursive: true, force: true }),
  };
}

for (const synchronous of ['FULL', 'NORMAL'] as const) {
  describeStoreConformance(`sqlite (synchronous ${synchronous})`, async () => {
    const { path, cleanup } = temporaryDatabase();
    return { store: createSqliteStore({ path, synchronous }), cleanup };
  });
}

describeEventLogConformance('sqlite store + memory bus', async () => {
  const { path, cleanup } = temporaryDatabase();
  return { store: createSqliteStore({ path }), bus: createMemoryBus(), cleanup };
});

describe('createSqliteStore', () => {
  let path: string;
  let cleanup: () => Promise<void>;

  beforeEach(() => {
    ({ path, cleanup } = temporaryDatabase());
  });

  afterEach(async () => {
    await cleanup();
  });

  it('keeps everything across close and reopen', async () => {
    const first = createSqliteStore({ path });
    await first.createSession({ id: 's1', tenantId: 't1', title: 'kept', now: 1_000 });
    await first.commit('s1', {
      entries: [{ type: 'message.queued', messageId: 'm1', content: 'hello' }],
      mutations: [
        {
          kind: 'inbox.insert',
          message: {
            id: 'm1',
            clientMessageId: 'c1',
            content: 'hello',
            policy: 'enqueue',
            createdAt: 1_000,
          },
        },
        {
          kind: 'turn.record',
          turn: {
            messageId: 'm1',
            outcome: 'success',
            costUsd: 0.5,
            durationMs: 3,
            usage: {
              inputTokens: 1,
              outputTokens: 2,
              cacheReadInputTokens: 3,
              cacheCreationInputTokens: 4,
            },
            endedAt: 2_000,
          },
        },
      ],
    });
    await first.appendTranscript('s1', '', [{ type: 'user', uuid: 'u1' }]);
    const before = await first.getSession('s1');
    await first.close();
    await expect(first.getSession('s1')).rejects.toMatchObject({ code: 'STORE_CLOSED' });
    await expect(first.commit('s1', { entries: [] })).rejects.toMatchObject({
      code: 'STORE_CLOSED',
    });

    const second = createSqliteStore({ path });
    try {
      expect(await second.getSession('s1')).toEqual(before);
      expect(await second.readLog('s1')).toEqual([
        { type: 'message.queued', messageId: 'm1', content: 'hello', seq: 1 },
      ]);
      expect((await second.findMessageByClientId('s1', 'c1'))?.id).toBe('m1');
      expect(await second.listTurns('s1')).toHaveLength(1);
      expect(await second.loadTranscript('s1', '')).toEqual([{ type: 'user', uuid: 'u1' }]);
      const next = await second.commit('s1', { entries: [{ type: 'after reopen' }] });
      expect(next.entries[0]?.seq).toBe(2);
    } finally {
      await second.close();
    }
  });

  it('keeps every acknowledged commit when the writing process is killed (SIGKILL)', async () => {
    const root = fileURLToPath(new URL('../../..', import.meta.url));
    const script = fileURLToPath(new URL('../scripts/crash-writer.ts', import.meta.url));
    const child = spawn(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', script, path, 'FULL'],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.once('exit', (_code, signal) => resolve(signal)),
    );
    let acknowledged = 0;
    let buffered = '';
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          buffered += chunk.toString();
          const lines = buffered.split('\n');
          buffered = lines.pop() ?? '';
          for (const line of lines) {
            const seq = Number(line);
            if (Number.isInteger(seq) && seq > 0) acknowledged = Math.max(acknowledged, seq);
          }
          if (acknowledged >= 400) resolve();
        });
        exited.then(() => reject(new Error(`crash-writer exited early: ${stderr}`)));
      });
    } finally {
      // Also on failure: never leave the writer running.
      child.kill('SIGKILL');
    }
    expect(await exited).toBe('SIGKILL');

    const store = createSqliteStore({ path });
    try {
      const lastSeq = await store.lastSeq('crash');
      expect(lastSeq).toBeGreaterThanOrEqual(acknowledged);
      const log = await store.readLog('crash');
      expect(log.map((entry) => entry.seq)).toEqual(
        Array.from({ length: lastSeq }, (_, index) => index + 1),
      );
      // Each writer's entries are in its own order, with no hole.
      for (let writer = 0; writer < 8; writer += 1) {
        const indexes = log.filter((entry) => entry.writer === writer).map((entry) => entry.index);
        expect(indexes).toEqual(indexes.map((_, position) => position));
      }
    } finally {
      await store.close();
    }
  });

  it('commits writes accepted before close()', async () => {
    const store = createSqliteStore({ path });
    await store.createSession({ id: 's1', tenantId: 't' });
    const pending = store.commit('s1', { entries: [{ type: 'late' }] });
    await store.close();
    expect((await pending).entries[0]?.seq).toBe(1);
    const reopened = createSqliteStore({ path });
    expect(await reopened.lastSeq('s1')).toBe(1);
    await reopened.close();
  });

  it('applies migrations once and is idempotent on reopen', async () => {
    const store = createSqliteStore({ path });
    await store.close();
    const db = new Database(path);
    try {
      const recorded = db.prepare('SELECT id, name FROM schema_migrations ORDER BY id').all();
      expect(recorded).toEqual(migrations.map(({ id, name }) => ({ id, name })));
      expect(migrate(db)).toEqual([]);
      expect(db.prepare('SELECT count(*) FROM schema_migrations').pluck().get()).toBe(
        migrations.length,
      );
      // A later migration applies on top, once.
      const next = [...migrations, { id: 999, name: 'test', sql: 'CREATE TABLE extra (x)' }];
      expect(migrate(db, next)).toEqual([999]);
      expect(migrate(db, next)).toEqual([]);
      // A database from a newer version is refused rather than misread.
      expect(() => migrate(db, migrations)).toThrow(/does not know \(999\)/);
    } finally {
      db.close();
    }
    expect(() => createSqliteStore({ path })).toThrow(/newer/);
  });

  it('carries the spend and SDK ids of a version-1 database into the ledger (migration 2)', async () => {
    const db = new Database(path);
    try {
      expect(migrate(db, migrations.slice(0, 1))).toEqual([1]);
      db.prepare(`INSERT INTO sessions (id, tenant_id, options, status, sdk_session_id,
        created_at, updated_at, last_active_at) VALUES ('s1', 't1', '{}', 'idle', 'sdk-old', 1, 1, 1)`).run();
      db.prepare(`INSERT INTO turns (session_id, tenant_id, message_id, outcome, cost_usd,
        duration_ms, input_tokens, output_tokens, cache_read_input_tokens,
        cache_creation_input_tokens, ended_at) VALUES ('s1', 't1', 'm1', 'success', 0.25, 5,
        1, 1, 0, 0, 1000)`).run();
      db.prepare(`INSERT INTO transcript_entries (session_id, subpath, uuid, data)
        VALUES ('sdk-old', '', 'u1', '{"uuid":"u1"}')`).run();
    } finally {
      db.close();
    }
    const store = createSqliteStore({ path });
    try {
      expect(await store.tenantCostSince('t1', 0)).toBeCloseTo(0.25, 10);
      // A reset to a new SDK id after the upgrade: both conversations belong to s1.
      await store.commit('s1', {
        entries: [{ type: 'session.reset' }],
        mutations: [{ kind: 'session.update', patch: { sdkSessionId: 'sdk-new' } }],
      });
      await store.appendTranscript('sdk-new', '', [{ uuid: 'u2' }]);
      expect(await store.deleteSession('s1')).toBe(true);
      expect(await store.tenantCostSince('t1', 0)).toBeCloseTo(0.25, 10);
      expect(await store.loadTranscript('sdk-old', '')).toBeNull();
      expect(await store.loadTranscript('sdk-new', '')).toBeNull();
    } finally {
      await store.close();
    }
  });

  it('refuses migration lists whose ids do not increase', () => {
    const db = new Database(':memory:');
    try {
      expect(() =>
        migrate(db, [
          { id: 2, name: 'b', sql: '' },
          { id: 1, name: 'a', sql: '' },
        ]),
      ).toThrow(/must increase/);
    } finally {
      db.close();
    }
  });

  it('puts the writes of one tick into one transaction', async () => {
    const store = createSqliteStore({ path });
    try {
      await store.createSession({ id: 's1', tenantId: 't' });
      await store.createSession({ id: 's2', tenantId: 't' });
      const before = store.stats();
      const results = await Promise.allSettled([
        ...Array.from({ length: 40 }, (_, index) =>
          store.commit(index % 2 === 0 ? 's1' : 's2', { entries: [{ type: 'e', index }] }),
        ),
        store.commit('ghost', { entries: [{ type: 'refused' }] }),
        store.appendTranscript('s1', '', [{ type: 'user', uuid: 'u1' }]),
      ]);
      const after = store.stats();
      expect(after.transactions - before.transactions).toBe(1);
      expect(after.writes - before.writes).toBe(42);
      expect(after.failedWrites - before.failedWrites).toBe(1);
      expect(after.largestBatch).toBeGreaterThanOrEqual(42);
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(41);
      expect(await store.lastSeq('s1')).toBe(20);
      expect(await store.lastSeq('s2')).toBe(20);

      // Writes in different ticks are different transactions.
      await store.commit('s1', { entries: [{ type: 'x' }] });
      await store.commit('s1', { entries: [{ type: 'y' }] });
      expect(store.stats().transactions - after.transactions).toBe(2);
    } finally {
      await store.close();
    }
  });

  it('writes a session row once per batch and keeps seqs right when a commit in it is refused', async () => {
    const store = createSqliteStore({ path });
    try {
      await store.createSession({ id: 's1', tenantId: 't', now: 1_000 });
      await store.createSession({ id: 'gone', tenantId: 't' });
      const before = store.stats();
      const started = Date.now();
      // One tick: many commits of s1, one refused in the middle (its savepoint rolls back and
      // its seqs must be handed out again), and a session deleted before a commit to it.
      const results = await Promise.allSettled([
        ...Array.from({ length: 10 }, (_, index) =>
          store.commit('s1', {
            entries: [
              { type: 'e', index },
              { type: 'f', index },
            ],
          }),
        ),
        store.commit('s1', {
          entries: [{ type: 'refused' }],
          mutations: [{ kind: 'inbox.update', messageId: 'missing', status: 'started', at: 1 }],
        }),
        ...Array.from({ length: 5 }, (_, index) =>
          store.commit('s1', { entries: [{ type: 'g', index }] }),
        ),
        store.commit('gone', { entries: [{ type: 'before delete' }] }),
        store.deleteSession('gone'),
        store.commit('gone', { entries: [{ type: 'after delete' }] }),
      ]);
      expect(store.stats().transactions - before.transactions).toBe(1);
      expect(results.map((result) => result.status)).toEqual([
        ...Array.from({ length: 10 }, () => 'fulfilled'),
        'rejected',
        ...Array.from({ length: 5 }, () => 'fulfilled'),
        'fulfilled',
        'fulfilled',
        'rejected',
      ]);
      const last = results[18] as PromiseRejectedResult;
      expect((last.reason as { code?: string }).code).toBe('SESSION_NOT_FOUND');
      const log = await store.readLog('s1');
      expect(log.map((entry) => entry.seq)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
      expect(log.map((entry) => entry.type).join('')).toBe(`${'ef'.repeat(10)}${'g'.repeat(5)}`);
      const session = await store.getSession('s1');
      expect(session?.lastSeq).toBe(25);
      expect(await store.lastSeq('s1')).toBe(25);
      expect(session?.updatedAt).toBeGreaterThanOrEqual(started);
      expect(await store.getSession('gone')).toBeNull();
      expect(await store.readLog('gone')).toEqual([]);
      // The next batch goes on from the settled row.
      const next = await store.commit('s1', { entries: [{ type: 'h' }] });
      expect(next.entries.map((entry) => entry.seq)).toEqual([26]);
    } finally {
      await store.close();
    }
  });

  it('sets WAL, the chosen synchronous mode, foreign keys and a busy timeout', async () => {
    const full = createSqliteStore({ path });
    expect(full.settings()).toEqual({
      journalMode: 'wal',
      synchronous: 'FULL',
      foreignKeys: true,
      busyTimeoutMs: 5_000,
    });
    await full.close();
    const normal = createSqliteStore({ path, synchronous: 'NORMAL', busyTimeoutMs: 250 });
    expect(normal.settings()).toMatchObject({ synchronous: 'NORMAL', busyTimeoutMs: 250 });
    await normal.close();
  });
});
