/**
 * hibernation: a message to a hibernated session (its CLI process closed, transcript in the
 * Store) to the first assistant frame, against a raw SDK resume (a new `query()` with
 * `resume`, transcript on local disk). Goal: <= 1.1x. Also the memory a hibernated session
 * still holds in the server.
 */
import { randomUUID } from 'node:crypto';
import { listDescendantProcesses } from '@agent-sessions/core/testing';
import { atMost, type Benchmark, now, type Row, ratioOf, summarize } from './harness.js';
import { startComposedServer } from './support/bench-server.js';
import { createSdkBaseline } from './support/sdk-baseline.js';
import { type BenchClient, connect, sessionIdOf } from './support/ws-client.js';

function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

async function claudeChildren(): Promise<number> {
  const processes = await listDescendantProcesses(process.pid);
  return processes.filter((entry) => /claude/.test(entry.command)).length;
}

const benchmark: Benchmark = {
  name: 'hibernation',
  description:
    'message to a hibernated session -> first assistant frame vs raw SDK resume (<= 1.1x); RAM per hibernated session',
  async run(context) {
    const sdk = await createSdkBaseline();
    const server = await startComposedServer({ maxLive: 4, unsubscribedGraceMs: 600_000 });
    const clients: BenchClient[] = [];
    try {
      const turn = async (client: BenchClient, text: string) => {
        const started = now();
        const firstAssistant = client.waitFor(
          (frame) => frame.type === 'assistant',
          30_000,
          'assistant',
        );
        const ended = client.waitFor((frame) => frame.type === 'turn.ended', 30_000, 'turn.ended');
        client.send({ type: 'message', content: text, clientMessageId: randomUUID() });
        await firstAssistant;
        const elapsed = now() - started;
        const end = await ended;
        if (end.outcome !== 'success') throw new Error(`turn ended ${String(end.outcome)}`);
        return elapsed;
      };
      const open = async () => {
        const client = await connect(`${server.wsUrl}/ws`, { ready: true });
        clients.push(client);
        const id = sessionIdOf(client);
        return { client, id };
      };

      const { client, id } = await open();
      await turn(client, 'first message');
      const sessionId = randomUUID();
      const cwd = (await sdk.options()).cwd as string;
      await sdk.oneShot('first message', { sessionId, cwd });

      const ours: number[] = [];
      const raw: number[] = [];
      const target = context.quick ? 3 : 15;
      for (let index = 0; index < target; index += 1) {
        if (index >= 2 && context.remainingMs() < (context.quick ? 7_000 : 25_000)) break;
        if (!(await server.service.hibernate(id))) throw new Error('the session did not hibernate');
        ours.push(await turn(client, `after hibernation ${index}`));
        raw.push(
          (await sdk.oneShot(`resume ${index}`, { resume: sessionId, cwd })).firstAssistantMs,
        );
      }

      // Memory a hibernated session holds: sessions with real turns, then all hibernated.
      const extra = context.quick ? 2 : 10;
      await server.service.hibernate(id);
      collectGarbage();
      const before = process.memoryUsage();
      const opened: string[] = [];
      for (let index = 0; index < extra && context.remainingMs() > 2_500; index += 1) {
        const session = await open();
        await turn(session.client, 'hello');
        await session.client.close();
        opened.push(session.id);
      }
      for (const sessionId of opened) await server.service.hibernate(sessionId);
      collectGarbage();
      const after = process.memoryUsage();
      const children = await claudeChildren();
      const perSessionHeapKiB =
        opened.length > 0 ? (after.heapUsed - before.heapUsed) / 1024 / opened.length : Number.NaN;

      const oursSummary = summarize(ours);
      const rawSummary = summarize(raw);
      const rows: Row[] = [
        {
          label: 'ours: message to hibernated session -> first assistant',
          unit: 'ms',
          summary: oursSummary,
        },
        {
          label: 'raw SDK: new query() with resume -> first assistant',
          unit: 'ms',
          summary: rawSummary,
        },
        {
          label: 'server heap held per hibernated session',
          unit: 'KiB',
          value: perSessionHeapKiB,
          note: `${opened.length} sessions, after gc`,
        },
        {
          label: 'CLI processes left for hibernated sessions',
          unit: 'count',
          value: children,
          note: 'bench baseline processes closed already',
        },
      ];
      return {
        rows,
        ratios: [
          atMost('ours / raw resume (median)', ratioOf(oursSummary.median, rawSummary.median), 1.1),
        ],
        notes: [
          'ours resumes through the Store (sessionStore adapter: transcript loaded from SQLite and materialized by the SDK); raw resumes from the CLI transcript on local disk',
          'a live session costs a ~220 MB CLI process; hibernated, it costs the heap figure above plus its rows in SQLite',
        ],
      };
    } finally {
      await Promise.all(clients.map((client) => client.close()));
      await server.close();
      await sdk.close();
    }
  },
};

export default benchmark;
