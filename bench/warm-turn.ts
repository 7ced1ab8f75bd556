/**
 * warm-turn: a WebSocket `message` frame in -> the first `assistant` frame out, through the
 * whole server (auth, validation, durable inbox commit, runner, SQLite FULL log, bus, socket),
 * against (a) the raw SDK's own warm streaming-input turn and (b) the seed's design, a new
 * `query()` with `resume` per message. Goal: <= 1.05x (a), >= 10x faster than (b).
 */
import { randomUUID } from 'node:crypto';
import { atLeast, atMost, type Benchmark, info, now, ratioOf, summarize } from './harness.js';
import { startRealServer } from './support/bench-server.js';
import { createSdkBaseline } from './support/sdk-baseline.js';
import { connect } from './support/ws-client.js';

const benchmark: Benchmark = {
  name: 'warm-turn',
  description:
    'WS frame -> first assistant frame vs raw SDK warm turn (<= 1.05x) and resume-per-message (>= 10x)',
  async run(context) {
    const sdk = await createSdkBaseline();
    const server = await startRealServer({ maxLive: 4 });
    const notes: string[] = [];
    try {
      // The server asks the CLI for token-level partial messages when it streams tokens: the
      // raw side must ask for them too, or it would be spared that work.
      const streamsTokens =
        (server.config as unknown as Record<string, unknown>).streamTokens === true;
      const warm = await sdk.openWarm({ includePartialMessages: streamsTokens });
      await warm.turn('warm up the raw process');

      const client = await connect(`${server.wsUrl}/ws`, { ready: true });
      const ourTurn = async (text: string) => {
        const started = now();
        const firstAssistant = client.waitFor(
          (frame) => frame.type === 'assistant',
          30_000,
          'assistant frame',
        );
        const ended = client.waitFor((frame) => frame.type === 'turn.ended', 30_000, 'turn.ended');
        client.send({ type: 'message', content: text, clientMessageId: randomUUID() });
        await firstAssistant;
        const firstAssistantMs = now() - started;
        const end = await ended;
        if (end.outcome !== 'success') throw new Error(`our turn ended ${String(end.outcome)}`);
        return firstAssistantMs;
      };
      await ourTurn('warm up our session');

      // Interleaved, so a noisy neighbour hits both sides alike.
      const target = context.quick ? 12 : 60;
      const ours: number[] = [];
      const raw: number[] = [];
      const reserveMs = context.quick ? 7_000 : 20_000;
      for (let index = 0; index < target && context.remainingMs() > reserveMs; index += 1) {
        raw.push((await warm.turn(`turn ${index}`)).firstAssistantMs);
        ours.push(await ourTurn(`turn ${index}`));
      }
      await warm.close();
      await client.close();
      if (client.errors.length > 0) notes.push(`client errors: ${client.errors.join('; ')}`);

      // (b) the seed's design: a new process per message, resuming the conversation.
      const sessionId = randomUUID();
      const cwdOptions = await sdk.options({ sessionId });
      const cwd = cwdOptions.cwd as string;
      await sdk.oneShot('first message', { sessionId, cwd });
      const resumed: number[] = [];
      const resumeTarget = context.quick ? 3 : 10;
      for (let index = 0; index < resumeTarget; index += 1) {
        if (resumed.length >= 2 && context.remainingMs() < 3_000) break;
        resumed.push(
          (await sdk.oneShot(`resume ${index}`, { resume: sessionId, cwd })).firstAssistantMs,
        );
      }

      const oursSummary = summarize(ours);
      const rawSummary = summarize(raw);
      const resumeSummary = summarize(resumed);
      notes.push(
        'both warm paths interleaved turn by turn; ours commits every event (SQLite synchronous FULL) before sending it',
        `token streaming (includePartialMessages) ${streamsTokens ? 'on' : 'off'} on both sides`,
      );
      return {
        rows: [
          { label: 'ours: WS message -> first assistant frame', unit: 'ms', summary: oursSummary },
          { label: '(a) raw SDK warm streaming-input turn', unit: 'ms', summary: rawSummary },
          { label: '(b) new query() with resume per message', unit: 'ms', summary: resumeSummary },
        ],
        ratios: [
          atMost('ours / raw warm (median)', ratioOf(oursSummary.median, rawSummary.median), 1.05),
          info('ours / raw warm (p99)', ratioOf(oursSummary.p99, rawSummary.p99)),
          atLeast(
            'resume-per-message / ours (median)',
            ratioOf(resumeSummary.median, oursSummary.median),
            10,
          ),
        ],
        notes,
      };
    } finally {
      await server.close();
      await sdk.close();
    }
  },
};

export default benchmark;
