/**
 * Group commit against a plain one-row-per-transaction loop, measured in the same run on the
 * same disk (absolute figures drift between machines; the ratio is the point).
 *
 *   node --conditions=source --import tsx packages/store-sqlite/scripts/bench-group-commit.ts
 *
 * Env: BENCH_SESSIONS (concurrent sessions, default 100), BENCH_SECONDS (per case, default 1),
 * BENCH_ROUNDS (interleaved rounds, median reported, default 3).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createSqliteStore } from '../src/sqlite-store.js';

const sessions = Number(process.env.BENCH_SESSIONS ?? 100);
const seconds = Number(process.env.BENCH_SECONDS ?? 1);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
// About 800 bytes of JSON per row, like a typical SDK message in the log.
const payload = {
  type: 'assistant',
  message: { content: [{ type: 'text', text: 'x'.repeat(700) }] },
};

const directory = mkdtempSync(join(tmpdir(), 'agent-sessions-bench-'));
let fileIndex = 0;
const nextPath = (): string => join(directory, `bench-${fileIndex++}.db`);

/**
 * The baseline: what a store without group commit pays, one transaction per row. With
 * `rowsPerTransaction` > 1 it is the ceiling instead: raw batched inserts, no store around them.
 */
function plainLoop(synchronous: 'FULL' | 'NORMAL', rowsPerTransaction = 1): number {
  const db = new Database(nextPath());
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.exec(`CREATE TABLE log_entries (session_id TEXT NOT NULL, seq INTEGER NOT NULL,
    type TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (session_id, seq)) WITHOUT ROWID`);
  const insert = db.prepare('INSERT INTO log_entries VALUES (?, ?, ?, ?)');
  const begin = db.prepare('BEGIN');
  const commit = db.prepare('COMMIT');
  const data = JSON.stringify(payload);
  const seqs = new Array<number>(sessions).fill(0);
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  let rows = 0;
  while (performance.now() < deadline) {
    if (rowsPerTransaction > 1) begin.run();
    for (let row = 0; row < rowsPerTransaction; row += 1) {
      const session = rows % sessions;
      seqs[session]! += 1;
      insert.run(`s${session}`, seqs[session], 'assistant', data);
      rows += 1;
    }
    if (rowsPerTransaction > 1) commit.run();
  }
  const elapsed = (performance.now() - started) / 1000;
  db.close();
  return rows / elapsed;
}

/** Many sessions appending at once, each waiting for its previous append (as a runner does). */
async function groupCommit(
  synchronous: 'FULL' | 'NORMAL',
  concurrency: number,
): Promise<{ perSecond: number; perTransaction: number }> {
  const store = createSqliteStore({ path: nextPath(), synchronous });
  for (let index = 0; index < concurrency; index += 1) {
    await store.createSession({ id: `s${index}`, tenantId: 't' });
  }
  const before = store.stats();
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  let appends = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, index) => {
      while (performance.now() < deadline) {
        await store.commit(`s${index}`, { entries: [payload] });
        appends += 1;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const after = store.stats();
  await store.close();
  return {
    perSecond: appends / elapsed,
    perTransaction: (after.writes - before.writes) / (after.transactions - before.transactions),
  };
}

const format = (value: number): string => Math.round(value).toLocaleString('en-US');

const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

try {
  console.log(
    `SQLite WAL, ~${JSON.stringify(payload).length}-byte rows, ${seconds}s per case, ` +
      `medians of ${rounds} interleaved rounds`,
  );
  for (const synchronous of ['FULL', 'NORMAL'] as const) {
    const plain: number[] = [];
    const ceiling: number[] = [];
    const single: number[] = [];
    const grouped: number[] = [];
    const perTransaction: number[] = [];
    // Interleaved so that drift in the machine's load hits every case alike.
    for (let round = 0; round < rounds; round += 1) {
      plain.push(plainLoop(synchronous));
      ceiling.push(plainLoop(synchronous, sessions));
      single.push((await groupCommit(synchronous, 1)).perSecond);
      const result = await groupCommit(synchronous, sessions);
      grouped.push(result.perSecond);
      perTransaction.push(result.perTransaction);
    }
    console.log(
      [
        `synchronous ${synchronous}:`,
        `  plain loop, 1 row per transaction:           ${format(median(plain))} rows/s`,
        `  store, 1 session (1 commit per transaction): ${format(median(single))} appends/s`,
        `  store, ${sessions} sessions, group commit:        ${format(median(grouped))} appends/s` +
          ` (${median(perTransaction).toFixed(1)} per transaction, ` +
          `${(median(grouped) / median(plain)).toFixed(1)}x the plain loop)`,
        `  ceiling, raw inserts, ${sessions} rows per transaction: ${format(median(ceiling))} rows/s`,
      ].join('\n'),
    );
  }
} finally {
  rmSync(directory, { recursive: true, force: true });
}
