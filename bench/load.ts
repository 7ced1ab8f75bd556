/**
 * load: 1,000 WebSocket clients over 100 sessions for 60 s (`--quick`: 100 clients over 10
 * sessions, 10 s). Every session gets agent-like entries appended through the server's event
 * log at 5/s (each delivered to its 10 subscribers), every client pings every 2 s, and real
 * CLI turns run on random sessions every 2 s (live cap 4, so most of them resume a hibernated
 * session). Reports errors (must be 0) and p50/p99 delivery latency.
 *
 * There is no raw baseline to hold this to: the goal is zero errors; the fan-out latency is
 * compared with relay's raw figures.
 */
import { randomUUID } from 'node:crypto';
import { ANONYMOUS_TENANT } from '@agent-sessions/server';
import { type Benchmark, now, type Ratio, sleep, summarize } from './harness.js';
import { startComposedServer } from './support/bench-server.js';
import { attachReceiver, benchEntry, createProgress, type Receiver } from './support/fanout.js';
import { type BenchClient, connect } from './support/ws-client.js';

const benchmark: Benchmark = {
  name: 'load',
  description: '1,000 WS clients over 100 sessions for 60 s: errors (must be 0), delivery p50/p99',
  async run(context) {
    const clientCount = context.quick ? 100 : 1_000;
    const sessionCount = clientCount / 10;
    const durationMs = context.quick ? 8_000 : 60_000;
    const ratePerSession = 5;
    const server = await startComposedServer({ maxLive: 4 });
    const clients: BenchClient[] = [];
    try {
      const sessions: string[] = [];
      for (let index = 0; index < sessionCount; index += 1) {
        sessions.push(
          (await server.service.createSession(ANONYMOUS_TENANT, { title: `load ${index}` })).id,
        );
      }
      const connectStarted = now();
      const bySession = new Map<string, BenchClient[]>();
      const progress = createProgress();
      const receivers: Receiver[] = [];
      for (let start = 0; start < clientCount; start += 50) {
        const group = await Promise.all(
          Array.from({ length: Math.min(50, clientCount - start) }, async (_, offset) => {
            const sessionId = sessions[(start + offset) % sessionCount] as string;
            const client = await connect(`${server.wsUrl}/ws?session=${sessionId}`, {
              ready: true,
            });
            return { sessionId, client };
          }),
        );
        for (const { sessionId, client } of group) {
          clients.push(client);
          receivers.push(attachReceiver(client, progress, true));
          bySession.set(sessionId, [...(bySession.get(sessionId) ?? []), client]);
        }
      }
      const connectMs = now() - connectStarted;
      context.log(`${clients.length} clients connected in ${Math.round(connectMs)} ms`);

      // Pings: every client every 2 s, staggered.
      const pingRtts: number[] = [];
      const pingTimers = clients.map((client, index) => {
        const ping = () => {
          const sent = now();
          client
            .waitFor((frame) => frame.type === 'pong', 10_000, 'pong')
            .then(() => pingRtts.push(now() - sent))
            .catch((error: unknown) => client.errors.push(String(error)));
          client.send({ type: 'ping' });
        };
        return setTimeout(
          () => {
            ping();
            pingTimers[index] = setInterval(ping, 2_000);
          },
          (index * 2_000) / clients.length,
        );
      });

      // Real turns on random sessions.
      const turnAcks: number[] = [];
      const turnFirstAssistant: number[] = [];
      const turnErrors: string[] = [];
      const turnsInFlight = new Set<Promise<void>>();
      const turnTimer = setInterval(() => {
        const sessionId = sessions[Math.floor(Math.random() * sessionCount)] as string;
        const client = bySession.get(sessionId)?.[0];
        if (!client) return;
        const sent = now();
        const ack = client.waitFor((frame) => frame.type === 'ack', 15_000, 'ack');
        const assistant = client.waitFor(
          // Appended bench entries are assistant-shaped too; the turn's own carry no benchIndex.
          (frame) => frame.type === 'assistant' && frame.benchIndex === undefined,
          30_000,
          'assistant',
        );
        client.send({
          type: 'message',
          content: 'hello under load',
          clientMessageId: randomUUID(),
        });
        const turn = (async () => {
          try {
            await ack;
            turnAcks.push(now() - sent);
            await assistant;
            turnFirstAssistant.push(now() - sent);
          } catch (error) {
            turnErrors.push(String(error));
          }
        })();
        turnsInFlight.add(turn);
        void turn.finally(() => turnsInFlight.delete(turn));
      }, 2_000);

      // Appends: ratePerSession per session per second, spread over 10 ms ticks.
      const appendErrors: string[] = [];
      const nextIndex = new Map<string, number>(sessions.map((id) => [id, 0]));
      const perTick = (sessionCount * ratePerSession) / 100;
      let tick = 0;
      let appended = 0;
      const started = now();
      const reserveMs = context.quick ? 3_500 : 12_000;
      while (now() - started < durationMs && context.remainingMs() > reserveMs) {
        const due = started + tick * 10;
        if (due > now()) await sleep(due - now());
        const from = Math.floor(tick * perTick);
        const to = Math.floor((tick + 1) * perTick);
        for (let slot = from; slot < to; slot += 1) {
          const sessionId = sessions[slot % sessionCount] as string;
          const index = nextIndex.get(sessionId) ?? 0;
          nextIndex.set(sessionId, index + 1);
          appended += 1;
          server.eventLog
            .append(sessionId, { entries: [benchEntry(index)] })
            .catch((error: unknown) => {
              appendErrors.push(String(error));
            });
        }
        tick += 1;
      }
      const ranMs = now() - started;
      clearInterval(turnTimer);
      for (const timer of pingTimers) clearInterval(timer);
      // Let deliveries and running turns finish.
      const settleUntil = now() + Math.min(8_000, Math.max(1_000, context.remainingMs() - 3_000));
      const expected = (client: Receiver, sessionId: string) =>
        client.received >= (nextIndex.get(sessionId) ?? 0);
      const sessionOf = new Map<Receiver, string>();
      receivers.forEach((receiver, index) => {
        sessionOf.set(receiver, sessions[index % sessionCount] as string);
      });
      while (now() < settleUntil) {
        const behind = receivers.some(
          (receiver) => !expected(receiver, sessionOf.get(receiver) as string),
        );
        if (!behind && turnsInFlight.size === 0) break;
        await sleep(50);
      }
      const missing = receivers.reduce(
        (total, receiver) =>
          total +
          Math.max(0, (nextIndex.get(sessionOf.get(receiver) as string) ?? 0) - receiver.received),
        0,
      );

      const deliveryErrors = clients.flatMap((client) => client.errors);
      const errors = [...deliveryErrors, ...appendErrors, ...turnErrors];
      if (missing > 0) errors.push(`${missing} deliveries missing at the end`);
      const latency = summarize(receivers.flatMap((receiver) => receiver.latencies));
      const zeroErrors: Ratio = {
        name: 'errors',
        value: errors.length,
        goal: '= 0',
        met: errors.length === 0,
      };
      return {
        rows: [
          {
            label: 'clients / sessions',
            unit: 'count',
            value: clients.length,
            note: `${sessionCount} sessions, connected in ${Math.round(connectMs)} ms`,
          },
          {
            label: 'entries appended',
            unit: 'count',
            value: appended,
            note: `${ratePerSession}/s per session for ${(ranMs / 1000).toFixed(1)} s`,
          },
          { label: 'delivery latency (append -> client)', unit: 'ms', summary: latency },
          { label: 'ping -> pong', unit: 'ms', summary: summarize(pingRtts) },
          { label: 'real turn: message -> ack', unit: 'ms', summary: summarize(turnAcks) },
          {
            label: 'real turn: message -> first assistant',
            unit: 'ms',
            summary: summarize(turnFirstAssistant),
            note: 'live cap 4: most resume a hibernated session',
          },
          { label: 'errors', unit: 'count', value: errors.length },
          {
            label: 'server RSS',
            unit: 'MiB',
            value: process.memoryUsage().rss / 1024 ** 2,
            note: 'clients in the same process',
          },
        ],
        ratios: [zeroErrors],
        notes: [
          "clients run in the same process as the server (one event loop for both): latencies include the clients' own work",
          ...errors.slice(0, 5).map((error) => `error: ${error}`),
        ],
      };
    } finally {
      await Promise.all(clients.map((client) => client.close()));
      await server.close();
    }
  },
};

export default benchmark;
