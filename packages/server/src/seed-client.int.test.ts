import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './test-support/server-harness.js';
import { connectWs } from './test-support/ws-client.js';

describe('a seed-style WebSocket client', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('connects without a session, chats with {type:"message"}, gets SDK messages and a result; reset starts fresh', async () => {
    const client = await connectWs(`${server.wsUrl}/ws`);
    try {
      const ready = await client.waitFor((frame) => frame.type === 'session.ready');
      expect(client.frames[0]).toBe(ready);
      const session = ready.session as { id: string; status: string };
      expect(session.id).toMatch(/.+/);
      expect(ready.lastSeq).toBe(0);
      expect(ready.seq).toBeUndefined();

      client.send({ type: 'message', content: 'remember the word banana' });
      const result = await client.waitFor((frame) => frame.type === 'result');
      expect(result.seq).toEqual(expect.any(Number));
      const assistant = client.frames.find((frame) => frame.type === 'assistant');
      expect(JSON.stringify(assistant)).toContain('Echo: remember the word banana');
      expect(client.frames.some((frame) => frame.type === 'ack')).toBe(true);
      // Every log entry carries a seq, strictly +1.
      const seqs = client.frames
        .filter((frame) => frame.type !== 'ack' && typeof frame.seq === 'number')
        .map((frame) => frame.seq);
      expect(seqs.length).toBeGreaterThan(3);
      expect(seqs).toEqual(seqs.map((_, index) => index + 1));

      client.send({ type: 'message', content: '[[recall]]' });
      const second = await client.waitFor(
        (frame) => frame.type === 'result',
        30_000,
        client.frames.indexOf(result) + 1,
      );
      expect(JSON.stringify(second)).toContain('remember the word banana');

      const before = client.frames.length;
      client.send({ type: 'reset' });
      await client.waitFor((frame) => frame.type === 'session.reset', 10_000, before);
      client.send({ type: 'message', content: '[[recall]]' });
      const third = await client.waitFor((frame) => frame.type === 'result', 30_000, before);
      expect(JSON.stringify(third)).not.toContain('banana');
    } finally {
      await client.close();
    }
  });
});
