/**
 * relay: one session's events appended (committed to SQLite, synchronous FULL) and delivered to
 * 100 WebSocket subscribers, as fast as the slowest subscriber allows and paced at 100
 * events/s, against a raw `ws` broadcast server (no persistence) in the same run.
 * Goal: throughput >= 70% of raw; paced p99 <= 2x raw.
 *
 * Our side appends through the server's own event log (`startComposedServer`): one
 * `eventLog.append()` per entry, as the runner does per SDK message, so group commit and the
 * bus are exercised exactly as in a turn.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { ANONYMOUS_TENANT } from '@agent-sessions/server';
import {
  atLeast,
  atMost,
  type Benchmark,
  type BenchmarkContext,
  info,
  type Row,
  ratioOf,
  sleep,
  summarize,
} from './harness.js';
import { startComposedServer } from './support/bench-server.js';
import {
  attachReceiver,
  createProgress,
  driveMaxRate,
  drivePaced,
  type Progress,
  type Receiver,
  resetReceivers,
} from './support/fanout.js';
import { startRawBroadcastServer } from './support/raw-broadcast.js';
import { type BenchClient, connect } from './support/ws-client.js';

interface Side {
  name: string;
  publish: (entries: { type: string; [field: string]: unknown }[]) => void;
  receivers: Receiver[];
  progress: Progress;
  clients: BenchClient[];
  appendErrors: string[];
  close(): Promise<void>;
}

async function connectAll(urls: string[], ready: boolean): Promise<BenchClient[]> {
  const clients: BenchClient[] = [];
  // In groups, so the accept queue is not flooded.
  for (let start = 0; start < urls.length; start += 50) {
    const group = await Promise.all(
      urls.slice(start, start + 50).map(async (url) => {
        return connect(url, { ready });
      }),
    );
    clients.push(...group);
  }
  return clients;
}

async function rawSide(subscribers: number): Promise<Side> {
  const raw = await startRawBroadcastServer();
  const clients = await connectAll(
    Array.from({ length: subscribers }, () => raw.url),
    false,
  );
  const progress = createProgress();
  const receivers = clients.map((client) => attachReceiver(client, progress, true));
  let seq = 0;
  return {
    name: 'raw ws broadcast',
    publish: (entries) =>
      raw.broadcast(entries.map((entry) => JSON.stringify({ ...entry, seq: ++seq }))),
    receivers,
    progress,
    clients,
    appendErrors: [],
    async close() {
      await Promise.all(clients.map((client) => client.close()));
      await raw.close();
    },
  };
}

async function ourSide(subscribers: number): Promise<Side> {
  const server = await startComposedServer({ maxLive: 1 });
  const session = await server.service.createSession(ANONYMOUS_TENANT, { title: 'relay' });
  const url = `${server.wsUrl}/ws?session=${session.id}`;
  const clients = await connectAll(
    Array.from({ length: subscribers }, () => url),
    true,
  );
  // Opening a session warms its CLI process; let that settle and release it so the
  // measurement sees only the relay.
  await sleep(1_000);
  await server.service.hibernate(session.id).catch(() => false);
  const progress = createProgress();
  const receivers = clients.map((client) => attachReceiver(client, progress, true));
  const appendErrors: string[] = [];
  return {
    name: 'ours',
    publish: (entries) => {
      for (const entry of entries) {
        server.eventLog.append(session.id, { entries: [entry] }).catch((error: unknown) => {
          appendErrors.push(String(error));
        });
      }
    },
    receivers,
    progress,
    clients,
    appendErrors,
    async close() {
      await Promise.all(clients.map((client) => client.close()));
      await server.close();
    },
  };
}

async function measure(context: BenchmarkContext, side: Side, total: number, pacedMs: number) {
  resetReceivers(side.receivers);
  const maxRate = await driveMaxRate({
    publish: side.publish,
    receivers: side.receivers,
    progress: side.progress,
    total,
    timeoutMs: Math.max(5_000, context.remainingMs() / 4),
  });
  resetReceivers(side.receivers);
  // How long the event loop is held up (a synchronous fsync blocks it) while paced.
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  const latencies = await drivePaced({
    publish: side.publish,
    receivers: side.receivers,
    progress: side.progress,
    rate: 100,
    durationMs: pacedMs,
    timeoutMs: 10_000,
  });
  loopDelay.disable();
  return { maxRate, latencies, loopDelayP99: loopDelay.percentile(99) / 1e6 };
}

const benchmark: Benchmark = {
  name: 'relay',
  description:
    'append+deliver to 100 WS subscribers vs raw ws broadcast (throughput >= 0.7x, paced p99 <= 2x)',
  async run(context) {
    const subscribers = 100;
    const total = context.quick ? 300 : 2_000;
    const pacedMs = context.quick ? 2_000 : 8_000;
    const rounds = context.quick ? 1 : 2;
    const throughput = { raw: [] as number[], ours: [] as number[] };
    const latency = { raw: [] as number[], ours: [] as number[] };
    const loopDelay = { raw: [] as number[], ours: [] as number[] };
    const errors: string[] = [];
    for (let round = 0; round < rounds; round += 1) {
      if (round > 0 && context.remainingMs() < context.budgetMs / 2) break;
      for (const make of [rawSide, ourSide]) {
        const side = await make(subscribers);
        try {
          const { maxRate, latencies, loopDelayP99 } = await measure(context, side, total, pacedMs);
          const key = side.name === 'ours' ? 'ours' : 'raw';
          throughput[key].push(maxRate.deliveriesPerSecond);
          latency[key].push(...latencies);
          loopDelay[key].push(loopDelayP99);
          context.log(`${side.name}: ${Math.round(maxRate.deliveriesPerSecond)} deliveries/s`);
          for (const receiver of side.receivers) errors.push(...receiver.errors);
          errors.push(...side.appendErrors);
        } finally {
          await side.close();
        }
      }
    }
    const rawThroughput = summarize(throughput.raw);
    const ourThroughput = summarize(throughput.ours);
    const rawLatency = summarize(latency.raw);
    const ourLatency = summarize(latency.ours);
    const rows: Row[] = [
      {
        label: 'ours: max rate (append+commit+deliver)',
        unit: 'deliveries/s',
        summary: ourThroughput,
      },
      { label: 'raw ws broadcast: max rate', unit: 'deliveries/s', summary: rawThroughput },
      { label: 'ours: paced 100 events/s, latency', unit: 'ms', summary: ourLatency },
      { label: 'raw ws broadcast: paced 100 events/s', unit: 'ms', summary: rawLatency },
      {
        label: 'ours: event-loop delay p99 while paced',
        unit: 'ms',
        summary: summarize(loopDelay.ours),
      },
      {
        label: 'raw: event-loop delay p99 while paced',
        unit: 'ms',
        summary: summarize(loopDelay.raw),
      },
      { label: 'errors (gaps, duplicates, failed appends)', unit: 'count', value: errors.length },
    ];
    return {
      rows,
      ratios: [
        atLeast(
          'ours / raw throughput (median)',
          ratioOf(ourThroughput.median, rawThroughput.median),
          0.7,
        ),
        atMost('ours / raw paced p99', ratioOf(ourLatency.p99, rawLatency.p99), 2),
        info('ours / raw paced p50', ratioOf(ourLatency.median, rawLatency.median)),
      ],
      notes: [
        `${subscribers} subscribers, ${total} entries of ~500 bytes per max-rate round, ${rounds} round(s) per side; one append (one commit) per entry, SQLite synchronous FULL, group commit`,
        'latency = append called -> frame parsed by the client (clients in the same process as the server)',
        ...errors.slice(0, 5).map((error) => `error: ${error}`),
      ],
    };
  },
};

export default benchmark;
