/**
 * density: 10,000 sessions with a few turns each (most hibernated, live cap 64) in one server:
 * server RSS, per-session overhead, start-up time over them, and the latency of a message to a
 * random hibernated session. `--quick` uses far fewer sessions.
 *
 * Real turns through the CLI cost ~0.5 s and ~220 MB each, so most sessions are written
 * through the Store directly (the log entries a two-turn conversation leaves, status
 * `hibernated`), and real turns run on a sample, which is then hibernated and messaged again.
 * The baseline is the same server with no sessions, measured in the same run.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NewLogEntry } from '@agent-sessions/core';
import { ANONYMOUS_TENANT } from '@agent-sessions/server';
import { createSqliteStore } from '@agent-sessions/store-sqlite';
import {
  type Benchmark,
  info,
  now,
  type Row,
  ratioOf,
  rssMiB,
  sleep,
  summarize,
} from './harness.js';
import { startComposedServer } from './support/bench-server.js';
import { type BenchClient, connect, sessionIdOf } from './support/ws-client.js';

function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** The entries two finished turns leave in a log (shapes as the engine writes them). */
function conversation(turns: number): NewLogEntry[] {
  const entries: NewLogEntry[] = [];
  for (let turn = 0; turn < turns; turn += 1) {
    const messageId = randomUUID();
    entries.push(
      { type: 'message.queued', messageId, content: `question ${turn}`, policy: 'enqueue' },
      { type: 'message.started', messageId },
      { type: 'session.status', status: 'running' },
      {
        type: 'system',
        subtype: 'init',
        session_id: 'x',
        tools: ['Read', 'Grep'],
        model: 'claude',
      },
      {
        type: 'assistant',
        message: { role: 'assistant', content: [{ type: 'text', text: `Echo: question ${turn}` }] },
      },
      { type: 'result', subtype: 'success', is_error: false, total_cost_usd: 0.001, num_turns: 1 },
      { type: 'turn.ended', messageId, outcome: 'success', costUsd: 0.001, durationMs: 40 },
      { type: 'session.status', status: 'idle' },
    );
  }
  entries.push({ type: 'session.status', status: 'hibernated' });
  return entries;
}

/** Writes up to `count` sessions; returns their ids (UUIDs: the engine uses them as SDK session ids). */
async function populate(dataDir: string, count: number, deadline: () => number): Promise<string[]> {
  const store = createSqliteStore({ path: join(dataDir, 'agent-sessions.db') });
  const created: string[] = [];
  try {
    for (let start = 0; start < count && deadline() > 0; start += 250) {
      await Promise.all(
        Array.from({ length: Math.min(250, count - start) }, async (_, offset) => {
          const id = randomUUID();
          await store.createSession({
            id,
            tenantId: ANONYMOUS_TENANT,
            title: `density ${start + offset}`,
          });
          await store.commit(id, {
            entries: conversation(2),
            mutations: [{ kind: 'session.update', patch: { status: 'hibernated' } }],
          });
          created.push(id);
        }),
      );
    }
  } finally {
    await store.close();
  }
  return created;
}

const benchmark: Benchmark = {
  name: 'density',
  description:
    '10k sessions (most hibernated): server RSS, per-session overhead, message to a random hibernated session',
  async run(context) {
    const wanted = context.quick ? 500 : 10_000;
    const sampleSize = context.quick ? 2 : 12;
    const maxLive = 64;
    const notes: string[] = [];
    const rows: Row[] = [];

    // Baseline: the same server with no sessions.
    collectGarbage();
    const empty = await startComposedServer({ maxLive });
    await sleep(200);
    collectGarbage();
    const emptyRss = rssMiB();
    await empty.close();

    const dataDir = await mkdtemp(join(tmpdir(), 'agent-sessions-bench-density-'));
    const clients: BenchClient[] = [];
    try {
      const populateStarted = now();
      const ids = await populate(
        dataDir,
        wanted,
        () => context.remainingMs() - context.budgetMs * 0.55,
      );
      const populateMs = now() - populateStarted;
      const created = ids.length;
      context.log(`${created} sessions written in ${Math.round(populateMs)} ms`);
      if (created < wanted)
        notes.push(`stopped at ${created} of ${wanted} sessions to stay within the time bound`);
      const databaseBytes = (await stat(join(dataDir, 'agent-sessions.db'))).size;

      collectGarbage();
      const startStarted = now();
      const server = await startComposedServer({ maxLive }, { dataDir });
      const startMs = now() - startStarted;
      context.log(`server started in ${Math.round(startMs)} ms`);
      try {
        await sleep(200);
        collectGarbage();
        const fullRss = rssMiB();

        // Real turns on a sample: open, one turn, hibernate; then a message to each at random.
        const turn = async (client: BenchClient, text: string) => {
          const started = now();
          const limit = Math.max(2_000, context.remainingMs() - 1_000);
          const firstAssistant = client.waitFor(
            (frame) => frame.type === 'assistant',
            limit,
            'assistant',
          );
          const ended = client.waitFor((frame) => frame.type === 'turn.ended', limit, 'turn.ended');
          client.send({ type: 'message', content: text, clientMessageId: randomUUID() });
          await firstAssistant;
          const elapsed = now() - started;
          await ended;
          return elapsed;
        };
        const sample: { id: string; client: BenchClient }[] = [];
        for (
          let index = 0;
          index < sampleSize && context.remainingMs() > context.budgetMs * 0.35;
          index += 1
        ) {
          const client = await connect(`${server.wsUrl}/ws`, { ready: true });
          clients.push(client);
          const id = sessionIdOf(client);
          await turn(client, `hello ${index}`);
          await server.service.hibernate(id);
          sample.push({ id, client });
        }
        context.log(`sample of ${sample.length} sessions ran a turn and hibernated`);
        const latencies: number[] = [];
        const order = [...sample].sort(() => Math.random() - 0.5);
        for (const { client } of order) {
          if (latencies.length >= 1 && context.remainingMs() < 3_000) break;
          latencies.push(await turn(client, 'after hibernation'));
        }
        context.log(`messaged ${latencies.length} hibernated sessions`);
        // A message to a random store-written session (no transcript: it starts a fresh SDK conversation).
        const storeWritten: number[] = [];
        for (
          let index = 0;
          index < Math.min(3, created) && context.remainingMs() > 3_000;
          index += 1
        ) {
          const id = ids[Math.floor(Math.random() * created)] as string;
          const client = await connect(`${server.wsUrl}/ws?session=${id}&after=0`, { ready: true });
          clients.push(client);
          storeWritten.push(await turn(client, 'hello again'));
        }
        context.log(`messaged ${storeWritten.length} store-written sessions`);

        const perSessionKiB = created > 0 ? ((fullRss - emptyRss) * 1024) / created : Number.NaN;
        rows.push(
          {
            label: 'sessions in the store',
            unit: 'count',
            value: created,
            note: `written in ${(populateMs / 1000).toFixed(1)} s`,
          },
          { label: 'server RSS, empty (baseline)', unit: 'MiB', value: emptyRss },
          {
            label: `server RSS with ${created} sessions`,
            unit: 'MiB',
            value: fullRss,
            note: 'after start, before any turn',
          },
          { label: 'server RSS per session', unit: 'KiB', value: perSessionKiB },
          {
            label: 'SQLite file per session',
            unit: 'KiB',
            value: created > 0 ? databaseBytes / 1024 / created : Number.NaN,
          },
          { label: 'server start over the sessions (recovery)', unit: 'ms', value: startMs },
          {
            label: 'message to a random hibernated session (real turns) -> first assistant',
            unit: 'ms',
            summary: summarize(latencies),
            note: `sample of ${sample.length} sessions with a real turn`,
          },
          {
            label: 'message to a random store-written session -> first assistant',
            unit: 'ms',
            summary: summarize(storeWritten),
            note: 'fresh SDK conversation',
          },
          {
            label: 'server RSS at the end',
            unit: 'MiB',
            value: rssMiB(),
            note: `live CLI processes: ${server.service.liveRunnerCount()} (not counted)`,
          },
        );
        return {
          rows,
          ratios: [info('RSS with sessions / empty server', ratioOf(fullRss, emptyRss))],
          notes: [
            ...notes,
            `${created} sessions written through Store.commit (2 turns of log entries each, status hibernated); real turns only on a sample of ${sample.length}; live cap ${maxLive}`,
            'p99 over so small a sample is its maximum',
          ],
        };
      } finally {
        await Promise.all(clients.map((client) => client.close()));
        await server.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  },
};

export default benchmark;
