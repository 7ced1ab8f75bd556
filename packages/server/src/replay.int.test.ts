import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './test-support/server-harness.js';
import { readSse, type SseEvent } from './test-support/sse-client.js';
import { connectWs, type Frame } from './test-support/ws-client.js';

interface Entry {
  seq: number;
  type: string;
}

async function readLog(
  server: TestServer,
  sessionId: string,
): Promise<{ entries: Entry[]; lastSeq: number }> {
  const response = await fetch(`${server.url}/v1/sessions/${sessionId}/events?after=0&limit=1000`);
  expect(response.status).toBe(200);
  return (await response.json()) as { entries: Entry[]; lastSeq: number };
}

async function waitForLog(
  server: TestServer,
  sessionId: string,
  predicate: (entries: Entry[]) => boolean,
) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const log = await readLog(server, sessionId);
    if (predicate(log.entries)) return log;
    if (Date.now() > deadline)
      throw new Error(`log never matched: ${log.entries.map((e) => e.type)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const logEntries = (frames: Frame[]) =>
  frames.filter((frame) => frame.type !== 'ack' && typeof frame.seq === 'number') as Entry[];

describe('replay after a disconnect', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('WebSocket: reconnecting mid-turn with after=<last seq> delivers every missed entry exactly once, in order', async () => {
    const first = await connectWs(`${server.wsUrl}/ws`);
    const ready = await first.waitFor((frame) => frame.type === 'session.ready');
    const sessionId = (ready.session as { id: string }).id;
    // A tool turn logs entries mid-turn (tool_use, tool_result) before its slow final reply.
    first.send({
      type: 'message',
      content: `[[slow:1500]] [[tool:Glob:${JSON.stringify({ pattern: '*' })}]]`,
      clientMessageId: 'c-1',
    });
    await first.waitFor((frame) => frame.type === 'message.started');
    const seen = logEntries(first.frames);
    const lastSeen = seen[seen.length - 1]!.seq;
    await first.close();

    // The turn goes on while nobody listens; reconnect once entries were missed, while it runs.
    await waitForLog(server, sessionId, (all) =>
      all.some((entry) => entry.seq > lastSeen && entry.type === 'user'),
    );
    const second = await connectWs(`${server.wsUrl}/ws?session=${sessionId}&after=${lastSeen}`);
    try {
      const again = await second.waitFor((frame) => frame.type === 'session.ready');
      expect(second.frames[0]).toBe(again);
      await second.waitFor((frame) => frame.type === 'turn.ended', 30_000);
      const { entries } = await waitForLog(server, sessionId, (all) =>
        all.some((entry) => entry.type === 'turn.ended'),
      );
      // The reconnect really was mid-turn: part of the turn came as replay, the rest live.
      const turnEnded = entries.find((entry) => entry.type === 'turn.ended')!;
      expect(again.lastSeq as number).toBeGreaterThan(lastSeen);
      expect(again.lastSeq as number).toBeLessThan(turnEnded.seq);
      const received = logEntries(second.frames).filter(
        (entry) => entry.seq <= entries[entries.length - 1]!.seq,
      );
      const expected = entries.filter((entry) => entry.seq > lastSeen);
      expect(received.map((entry) => entry.seq)).toEqual(expected.map((entry) => entry.seq));
      expect(received.map((entry) => entry.type)).toEqual(expected.map((entry) => entry.type));
      // Nothing already seen is sent twice.
      expect(received.every((entry) => entry.seq > lastSeen)).toBe(true);
    } finally {
      await second.close();
    }
  });

  it('SSE: resuming with Last-Event-ID (or after=) delivers every missed entry exactly once, in order', async () => {
    const create = await fetch(`${server.url}/v1/sessions`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(create.status).toBe(201);
    const { id } = (await create.json()) as { id: string };
    const post = await fetch(`${server.url}/v1/sessions/${id}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        content: `[[slow:1500]] [[tool:Glob:${JSON.stringify({ pattern: '*' })}]] over SSE`,
      }),
    });
    expect(post.status).toBe(202);
    const accepted = (await post.json()) as { messageId: string; seq: number };
    expect(accepted.seq).toBeGreaterThan(0);

    // First connection: read a few events, then drop.
    // Live token-level `stream_event`s have no id and are not log entries: compare the rest.
    const logged = (events: SseEvent[]) => events.filter((event) => event.id !== undefined);
    const partial = await readSse(`${server.url}/v1/sessions/${id}/events`, {
      until: (events) => events.some((event) => event.event === 'message.started'),
    });
    expect(partial.status).toBe(200);
    const lastId = logged(partial.events).at(-1)!.id!;
    expect(logged(partial.events).map((event) => Number(event.id))).toEqual(
      logged(partial.events).map((_, index) => index + 1),
    );

    // Resume mid-turn, after entries were missed: replay, then live, across the switch.
    await waitForLog(server, id, (all) =>
      all.some((entry) => entry.seq > Number(lastId) && entry.type === 'user'),
    );
    const { entries: beforeResume } = await readLog(server, id);
    expect(beforeResume.some((entry) => entry.type === 'turn.ended')).toBe(false);
    const resumed = await readSse(`${server.url}/v1/sessions/${id}/events`, {
      headers: { 'last-event-id': lastId },
      until: (events) => events.some((event) => event.event === 'turn.ended'),
    });
    const { entries } = await readLog(server, id);
    const endSeq = Number(logged(resumed.events).at(-1)!.id);
    const expected = entries.filter((entry) => entry.seq > Number(lastId) && entry.seq <= endSeq);
    expect(logged(resumed.events).map((event) => Number(event.id))).toEqual(
      expected.map((entry) => entry.seq),
    );
    expect(logged(resumed.events).map((event) => event.event)).toEqual(
      expected.map((entry) => entry.type),
    );
    for (const event of logged(resumed.events)) {
      const entry = JSON.parse(event.data) as Entry;
      expect(entry.seq).toBe(Number(event.id));
      expect(entry.type).toBe(event.event);
    }

    // `after=` gives the same as Last-Event-ID.
    const byQuery = await readSse(`${server.url}/v1/sessions/${id}/events?after=${lastId}`, {
      until: (events) => events.some((event) => event.event === 'turn.ended'),
    });
    expect(logged(byQuery.events).map((event) => event.id)).toEqual(
      logged(resumed.events).map((event) => event.id),
    );
  });
});
