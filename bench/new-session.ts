/**
 * new-session: the first message of a new session to its first assistant frame, with the
 * session's CLI process pre-warmed (the server warms it when the WebSocket opens), against
 * the SDK's `startup()` (ready, then `.query()` to first assistant) and a cold `query()`.
 * Goal: <= 1.2x `startup()`.
 *
 * Two figures for ours: "pre-warmed" sends the message once the warm-up finished (a user who
 * types after opening the page), "immediate" sends it at `session.ready` and counts from
 * opening the socket (the warm-up and the message race), compared with startup() in total.
 */
import { randomUUID } from 'node:crypto';
import { atMost, type Benchmark, info, now, ratioOf, summarize } from './harness.js';
import { startComposedServer } from './support/bench-server.js';
import { createSdkBaseline } from './support/sdk-baseline.js';
import { connect } from './support/ws-client.js';

const benchmark: Benchmark = {
  name: 'new-session',
  description:
    'new session: first message -> first assistant frame (pre-warmed) vs SDK startup() (<= 1.2x) and cold query()',
  async run(context) {
    const sdk = await createSdkBaseline();
    const server = await startComposedServer({ maxLive: 3, unsubscribedGraceMs: 0 });
    try {
      const firstTurn = async (prewarmed: boolean) => {
        const opened = now();
        const client = await connect(`${server.wsUrl}/ws`, { ready: true });
        try {
          const session = client.ready?.session as { id: string } | undefined;
          if (!session) throw new Error('no session in session.ready');
          if (prewarmed) {
            const warmed = await server.service.warm(session.id);
            if (!warmed) throw new Error('the session could not be warmed');
          }
          const started = now();
          const firstAssistant = client.waitFor(
            (frame) => frame.type === 'assistant',
            30_000,
            'assistant',
          );
          const ended = client.waitFor(
            (frame) => frame.type === 'turn.ended',
            30_000,
            'turn.ended',
          );
          client.send({ type: 'message', content: 'hello', clientMessageId: randomUUID() });
          await firstAssistant;
          const figure = now() - (prewarmed ? started : opened);
          await ended;
          return figure;
        } finally {
          await client.close();
        }
      };

      await firstTurn(true); // loads the modules and the CLI binary into the page cache
      const target = context.quick ? 3 : 10;
      const prewarmed: number[] = [];
      const immediate: number[] = [];
      const startupTurn: number[] = [];
      const startupTotal: number[] = [];
      const cold: number[] = [];
      for (let index = 0; index < target; index += 1) {
        if (index >= 1 && context.remainingMs() < (context.quick ? 5_000 : 12_000)) break;
        const viaStartup = await sdk.startupTurn('hello');
        startupTurn.push(viaStartup.turn.firstAssistantMs);
        startupTotal.push(viaStartup.readyMs + viaStartup.turn.firstAssistantMs);
        prewarmed.push(await firstTurn(true));
        cold.push((await sdk.oneShot('hello')).firstAssistantMs);
        immediate.push(await firstTurn(false));
      }
      const summaries = {
        prewarmed: summarize(prewarmed),
        immediate: summarize(immediate),
        startupTurn: summarize(startupTurn),
        startupTotal: summarize(startupTotal),
        cold: summarize(cold),
      };
      return {
        rows: [
          {
            label: 'ours pre-warmed: message -> first assistant frame',
            unit: 'ms',
            summary: summaries.prewarmed,
          },
          {
            label: 'SDK startup() ready, then .query() -> first assistant',
            unit: 'ms',
            summary: summaries.startupTurn,
          },
          {
            label: 'ours immediate: WS open -> first assistant frame',
            unit: 'ms',
            summary: summaries.immediate,
          },
          {
            label: 'SDK startup() + .query(), in total',
            unit: 'ms',
            summary: summaries.startupTotal,
          },
          { label: 'SDK cold query() -> first assistant', unit: 'ms', summary: summaries.cold },
        ],
        ratios: [
          atMost(
            'ours pre-warmed / startup() .query() (median)',
            ratioOf(summaries.prewarmed.median, summaries.startupTurn.median),
            1.2,
          ),
          info(
            'ours immediate / startup() total (median)',
            ratioOf(summaries.immediate.median, summaries.startupTotal.median),
          ),
          info(
            'ours immediate / cold query() (median)',
            ratioOf(summaries.immediate.median, summaries.cold.median),
          ),
        ],
        notes: [
          'the engine warms a session with the SDK startup() when a client opens it (no generic spare pool): "pre-warmed" waits for that warm-up to finish before sending',
        ],
      };
    } finally {
      await server.close();
      await sdk.close();
    }
  },
};

export default benchmark;
