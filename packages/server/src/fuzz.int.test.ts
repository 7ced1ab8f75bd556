import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './test-support/server-harness.js';
import { connectWs } from './test-support/ws-client.js';

/** mulberry32: a tiny seeded PRNG so a failing run can be replayed exactly. */
function createRandom(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const integer = (max: number) => Math.floor(next() * max);
  const pick = <T>(items: readonly T[]): T => items[integer(items.length)]!;
  const text = (length: number) =>
    Array.from({ length }, () => String.fromCharCode(integer(0x7f - 0x20) + 0x20)).join('');
  return { next, integer, pick, text };
}

const FRAME_LIMIT = 16_384;
const SEED = 20261124;

/** One frame that must be refused (never a valid command). */
function malformedFrame(random: ReturnType<typeof createRandom>): {
  data: string | Buffer;
  binary: boolean;
} {
  const wrongValues = [123, -1, true, null, [], {}, [1, 2], { nested: { deep: 1 } }];
  switch (random.integer(12)) {
    case 0: // not JSON at all
      return { data: random.text(1 + random.integer(200)), binary: false };
    case 1: // truncated JSON
      return {
        data: JSON.stringify({ type: 'message', content: random.text(20) }).slice(
          0,
          -1 - random.integer(5),
        ),
        binary: false,
      };
    case 2: // JSON but not an object
      return {
        data: JSON.stringify(random.pick([1, 'message', null, [1, 2, 3], true, 3.14])),
        binary: false,
      };
    case 3: // unknown type
      return {
        data: JSON.stringify({ type: `x-${random.text(8)}`, content: 'hi' }),
        binary: false,
      };
    case 4: // missing type / wrong type of type
      return {
        data: JSON.stringify({
          content: 'hi',
          kind: 'message',
          type: random.pick([undefined, 5, null, ['message']]),
        }),
        binary: false,
      };
    case 5: // message with wrong content types
      return {
        data: JSON.stringify({ type: 'message', content: random.pick([...wrongValues, '']) }),
        binary: false,
      };
    case 6: // message with a bad policy or clientMessageId
      return {
        data: JSON.stringify({
          type: 'message',
          content: 'hello',
          ...(random.next() < 0.5
            ? { policy: random.pick(['later', 5, 'ENQUEUE', null]) }
            : { clientMessageId: random.pick([5, '', 'x'.repeat(500), null]) }),
        }),
        binary: false,
      };
    case 7: // permission with missing or wrong fields
      return {
        data: JSON.stringify({
          type: 'permission',
          requestId: random.pick([undefined, 5, '', null]),
          behavior: random.pick(['allow', 'maybe', 1]),
        }),
        binary: false,
      };
    case 8: // a huge string, over the frame limit
      return {
        data: JSON.stringify({
          type: 'message',
          content: 'A'.repeat(FRAME_LIMIT + random.integer(FRAME_LIMIT * 2)),
        }),
        binary: false,
      };
    case 9: // binary frame (even valid JSON inside)
      return { data: Buffer.from(JSON.stringify({ type: 'ping' })), binary: true };
    case 10: // invalid UTF-8 bytes
      return { data: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), binary: random.next() < 0.5 };
    default: // content blocks of the wrong shape
      return {
        data: JSON.stringify({
          type: 'message',
          content: [
            random.pick([
              { type: 'text' },
              { type: 'nope', text: 'x' },
              'text',
              { type: 'image', source: 5 },
            ]),
          ],
        }),
        binary: false,
      };
  }
}

function malformedBody(random: ReturnType<typeof createRandom>): string {
  switch (random.integer(6)) {
    case 0:
      return random.text(random.integer(100));
    case 1:
      return JSON.stringify({ content: random.pick([5, null, '', [], { a: 1 }]) });
    case 2:
      return JSON.stringify({ content: 'x', policy: random.text(5) });
    case 3:
      return JSON.stringify(random.pick([[], 1, 'str', null]));
    case 4:
      return JSON.stringify({ content: 'B'.repeat(FRAME_LIMIT + 10) });
    default:
      return `{"content": "${random.text(10)}"`;
  }
}

/** A `POST /v1/sessions` body that must be refused, among them options that carry paths. */
function malformedSessionBody(random: ReturnType<typeof createRandom>): string {
  return random.pick([
    () => random.text(1 + random.integer(50)),
    () => JSON.stringify(random.pick([[], 1, 'str', null, true])),
    () => JSON.stringify({ title: random.pick([5, null, [], 'T'.repeat(500)]) }),
    () => JSON.stringify({ options: { cwd: random.pick(['/etc', '../..', '/root', 'sub/dir']) } }),
    () => JSON.stringify({ options: { additionalDirectories: ['/'] } }),
    () => JSON.stringify({ options: { pathToClaudeCodeExecutable: '/bin/sh' } }),
    () => JSON.stringify({ options: { env: { PATH: '/tmp' } } }),
    () => JSON.stringify({ options: { model: '../../etc/passwd' } }),
    () => JSON.stringify({ options: { permissionMode: 'bypassPermissions' } }),
    () => JSON.stringify({ options: { maxTurns: random.pick([0, -1, 1.5, 'ten', 1e9]) } }),
    () => `{"title": "${random.text(5)}"`,
  ])();
}

describe('fuzzing frames and bodies', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      maxFrameBytes: FRAME_LIMIT,
      maxBodyBytes: FRAME_LIMIT,
      rateLimitPerMinute: 1_000_000,
      messageRateLimitPerMinute: 1_000_000,
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  it(`answers 5,000 malformed WebSocket frames and 1,000 bad bodies with {error, code} (seed ${SEED}), never crashing, other sessions unaffected`, async () => {
    const random = createRandom(SEED);
    const bystander = await connectWs(`${server.wsUrl}/ws`);
    const fuzzed = await connectWs(`${server.wsUrl}/ws`);
    try {
      await bystander.waitFor((frame) => frame.type === 'session.ready');
      await fuzzed.waitFor((frame) => frame.type === 'session.ready');
      const fuzzedId = (fuzzed.frames[0]!.session as { id: string }).id;
      bystander.send({ type: 'message', content: '[[slow:1000]] I keep working' });

      const count = 5_000;
      for (let index = 0; index < count; index++) {
        const { data, binary } = malformedFrame(random);
        fuzzed.sendRaw(data, binary);
        if (index % 500 === 499) await new Promise((resolve) => setImmediate(resolve));
      }
      const errors = () => fuzzed.frames.filter((frame) => frame.type === 'error');
      const deadline = Date.now() + 30_000;
      while (errors().length < count && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(fuzzed.socket.readyState, 'the fuzzed connection stays open').toBe(1);
      expect(
        fuzzed.frames.filter((frame) => frame.type !== 'error' && frame.type !== 'session.ready'),
      ).toEqual([]);
      expect(errors()).toHaveLength(count);
      for (const error of errors()) {
        expect(typeof error.error).toBe('string');
        expect(['INVALID_FRAME', 'PAYLOAD_TOO_LARGE', 'BAD_REQUEST']).toContain(error.code);
      }
      // The fuzzed connection is still open and usable.
      fuzzed.send({ type: 'ping' });
      await fuzzed.waitFor((frame) => frame.type === 'pong');

      let answered = 0;
      for (let index = 0; index < 1_000; index++) {
        const toSessions = random.next() < 0.3;
        const path = toSessions ? '/v1/sessions' : `/v1/sessions/${fuzzedId}/messages`;
        const response = await fetch(`${server.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: toSessions ? malformedSessionBody(random) : malformedBody(random),
        });
        expect([400, 413]).toContain(response.status);
        const body = (await response.json()) as { error: unknown; code: unknown };
        expect(typeof body.error).toBe('string');
        expect(['BAD_REQUEST', 'PAYLOAD_TOO_LARGE']).toContain(body.code);
        answered++;
      }
      expect(answered).toBe(1_000);

      // The other session finished its turn normally meanwhile.
      const result = await bystander.waitFor((frame) => frame.type === 'result');
      expect(JSON.stringify(result)).toContain('I keep working');
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      // Nothing malformed reached the fuzzed session's log.
      const log = (await (await fetch(`${server.url}/v1/sessions/${fuzzedId}/events`)).json()) as {
        lastSeq: number;
      };
      expect(log.lastSeq).toBe(0);
    } finally {
      await fuzzed.close();
      await bystander.close();
    }
  });
});
