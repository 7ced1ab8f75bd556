/**
 * append: appends per second through `Store.commit()` (group commit) from many sessions at
 * once, synchronous FULL and NORMAL, against raw better-sqlite3 with one row per transaction
 * (what a store without group commit does) and, as a ceiling, 100 rows per transaction.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteStore } from '@agent-sessions/store-sqlite';
import Database from 'better-sqlite3';
import { atLeast, type Benchmark, info, now, type Ratio, type Row, ratioOf } from './harness.js';
import { benchEntry } from './support/fanout.js';

type Mode = 'FULL' | 'NORMAL';

async function ours(
  dir: string,
  mode: Mode,
  sessions: number,
  durationMs: number,
): Promise<number> {
  const store = createSqliteStore({ path: join(dir, `ours-${mode}.db`), synchronous: mode });
  try {
    const ids = Array.from({ length: sessions }, (_, index) => `s${index}`);
    for (const id of ids) await store.createSession({ id, tenantId: 't' });
    let commits = 0;
    const started = now();
    const until = started + durationMs;
    // One writer per session, each awaiting its own commit, as a runner does.
    await Promise.all(
      ids.map(async (id) => {
        let index = 0;
        while (now() < until) {
          await store.commit(id, { entries: [benchEntry(index)] });
          index += 1;
          commits += 1;
        }
      }),
    );
    return commits / ((now() - started) / 1000);
  } finally {
    await store.close();
  }
}

function raw(
  dir: string,
  mode: Mode,
  sessions: number,
  durationMs: number,
  perTransaction: number,
): number {
  const database = new Database(join(dir, `raw-${mode}-${perTransaction}.db`));
  try {
    database.pragma('journal_mode = WAL');
    database.pragma(`synchronous = ${mode}`);
    database.exec(`CREATE TABLE log_entries (session_id TEXT NOT NULL, seq INTEGER NOT NULL,
      type TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (session_id, seq)) WITHOUT ROWID`);
    const insert = database.prepare(
      'INSERT INTO log_entries (session_id, seq, type, data) VALUES (?, ?, ?, ?)',
    );
    const many = database.transaction((rows: [string, number, string][]) => {
      for (const [session, seq, data] of rows) insert.run(session, seq, 'assistant', data);
    });
    const seqs = new Array<number>(sessions).fill(0);
    let rows = 0;
    let turn = 0;
    const started = now();
    while (now() - started < durationMs) {
      const batch: [string, number, string][] = [];
      for (let index = 0; index < perTransaction; index += 1) {
        const session = turn % sessions;
        turn += 1;
        seqs[session] = (seqs[session] ?? 0) + 1;
        batch.push([
          `s${session}`,
          seqs[session] as number,
          JSON.stringify(benchEntry(rows + index)),
        ]);
      }
      if (perTransaction === 1) {
        const [session, seq, data] = batch[0] as [string, number, string];
        insert.run(session, seq, 'assistant', data);
      } else many(batch);
      rows += perTransaction;
    }
    return rows / ((now() - started) / 1000);
  } finally {
    database.close();
  }
}

const benchmark: Benchmark = {
  name: 'append',
  description:
    'group-committed appends/s from many sessions (FULL, NORMAL) vs one row per transaction',
  async run(context) {
    const dir = await mkdtemp(join(tmpdir(), 'agent-sessions-bench-append-'));
    const sessions = 100;
    const durationMs = context.quick ? 1_200 : 6_000;
    const rows: Row[] = [];
    const ratios: Ratio[] = [];
    try {
      for (const mode of ['FULL', 'NORMAL'] as const) {
        const single = raw(dir, mode, sessions, durationMs, 1);
        const grouped = await ours(dir, mode, sessions, durationMs);
        const hundred = raw(dir, mode, sessions, durationMs, 100);
        rows.push(
          {
            label: `ours: Store.commit, ${sessions} sessions concurrently, ${mode}`,
            unit: 'appends/s',
            value: grouped,
          },
          { label: `raw: 1 row per transaction, ${mode}`, unit: 'rows/s', value: single },
          {
            label: `raw: 100 rows per transaction, ${mode} (ceiling)`,
            unit: 'rows/s',
            value: hundred,
          },
        );
        ratios.push(
          atLeast(`ours / raw 1-per-transaction (${mode})`, ratioOf(grouped, single), 1),
          info(`ours / raw 100-per-transaction (${mode})`, ratioOf(grouped, hundred)),
        );
        context.log(`${mode}: ours ${Math.round(grouped)}/s, raw single ${Math.round(single)}/s`);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    return {
      rows,
      ratios,
      notes: [
        `entries of ~500 bytes; ours: ${sessions} writers (one per session) each awaiting its own commit, the store batches a tick's commits into one transaction; ${durationMs} ms per measure`,
      ],
    };
  },
};

export default benchmark;
