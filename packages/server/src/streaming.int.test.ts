import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './test-support/server-harness.js';
import { readSse } from './test-support/sse-client.js';
import { connectWs, type Frame } from './test-support/ws-client.js';

// A real server, the real SDK and CLI, the scripted model: replies stream token by token.

const json = { 'content-type': 'application/json' };
const REPLY = 'Echo: tokens arrive one at a time';

function textDelta(frame: { type?: unknown; event?: unknown }): string | null {
  if (frame.type !== 'stream_event') return null;
  const event = frame.event as { type?: string; delta?: { type?: string; text?: string } };
  if (event?.type !== 'content_block_delta' || event.delta?.type !== 'text_delta') return null;
  return event.delta.text ?? null;
}

async function logOf(server: TestServer, id: string): Promise<Array<{ type: string }>> {
  const response = await fetch(`${server.url}/v1/sessions/${id}/events`);
  return ((await response.json()) as { entries: Array<{ type: string }> }).entries;
}

describe('token streaming (on by default)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('WebSocket: a [[slow:1500]] reply arrives as live stream_event frames before its assistant entry; none in the log', async () => {
    const client = await connectWs(`${server.wsUrl}/ws`);
    const arrivedAt: number[] = [];
    client.socket.on('message', () => arrivedAt.push(Date.now()));
    const ready = await client.waitFor((frame) => frame.type === 'session.ready');
    const id = (ready.session as { id: string }).id;
    client.send({ type: 'message', content: '[[slow:1500]] tokens arrive one at a time' });
    await client.waitFor((frame) => frame.type === 'turn.ended');

    const frames = client.frames;
    const assistantIndex = frames.findIndex((frame) => frame.type === 'assistant');
    const startedIndex = frames.findIndex((frame) => frame.type === 'message.started');
    expect(assistantIndex).toBeGreaterThan(startedIndex);
    const streamed = frames.slice(0, assistantIndex).filter((frame) => textDelta(frame) !== null);
    expect(streamed.length).toBeGreaterThanOrEqual(3);
    expect(streamed.map((frame) => textDelta(frame)).join('')).toBe(REPLY);
    // After the turn started, never before (they are relayed in order with the log).
    expect(frames.findIndex((frame) => frame.type === 'stream_event')).toBeGreaterThan(
      startedIndex,
    );
    for (const frame of frames.filter((candidate) => candidate.type === 'stream_event')) {
      expect(frame.seq).toBeUndefined();
    }
    // Live: the first delta reached the client well before the assistant entry.
    const firstDeltaIndex = frames.findIndex((frame) => textDelta(frame) !== null);
    expect(arrivedAt[assistantIndex]! - arrivedAt[firstDeltaIndex]!).toBeGreaterThan(500);
    // Committed entries are unchanged: seq without gaps, cost per turn, no stream_event.
    const committed = frames.filter(
      (frame): frame is Frame & { seq: number } =>
        frame.type !== 'ack' && Number.isInteger(frame.seq),
    );
    expect(committed.map((frame) => frame.seq)).toEqual(committed.map((_, index) => index + 1));
    const ended = frames.find((frame) => frame.type === 'turn.ended');
    expect(ended).toMatchObject({ outcome: 'success' });
    expect(ended?.costUsd).toBeGreaterThan(0);
    const log = await logOf(server, id);
    expect(log.some((entry) => entry.type === 'stream_event')).toBe(false);
    expect(log.length).toBe(committed.length);

    // The first token comes from the first delta now.
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/agent_sessions_first_token_seconds_count [1-9]/);
    await client.close();
  }, 60_000);

  it('SSE: the same deltas as `event: stream_event` without an id line, before the assistant event', async () => {
    const create = await fetch(`${server.url}/v1/sessions`, { method: 'POST' });
    const { id } = (await create.json()) as { id: string };
    const reading = readSse(`${server.url}/v1/sessions/${id}/events`, {
      until: (events) => events.some((event) => event.event === 'turn.ended'),
      timeoutMs: 45_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const posted = await fetch(`${server.url}/v1/sessions/${id}/messages`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ content: '[[slow:1500]] tokens arrive one at a time' }),
    });
    expect(posted.status).toBe(202);
    const { events } = await reading;
    const assistantIndex = events.findIndex((event) => event.event === 'assistant');
    expect(assistantIndex).toBeGreaterThan(0);
    const streamed = events
      .slice(0, assistantIndex)
      .filter((event) => event.event === 'stream_event');
    const deltas = streamed
      .map((event) => textDelta(JSON.parse(event.data) as Frame))
      .filter((text): text is string => text !== null);
    expect(deltas.length).toBeGreaterThanOrEqual(3);
    expect(deltas.join('')).toBe(REPLY);
    for (const event of streamed) expect(event.id).toBeUndefined();
    for (const event of events.filter((candidate) => candidate.event !== 'stream_event')) {
      expect(Number(event.id)).toBeGreaterThan(0);
    }
    const log = await logOf(server, id);
    expect(log.some((entry) => entry.type === 'stream_event')).toBe(false);
  }, 60_000);
});

describe('token streaming turned off (AGENT_SESSIONS_STREAM_TOKENS=off)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({}, { env: { AGENT_SESSIONS_STREAM_TOKENS: 'off' } });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('sends no stream_event frames; the reply still arrives as its assistant entry', async () => {
    const client = await connectWs(`${server.wsUrl}/ws`);
    await client.waitFor((frame) => frame.type === 'session.ready');
    client.send({ type: 'message', content: '[[slow:600]] quiet' });
    await client.waitFor((frame) => frame.type === 'turn.ended');
    expect(client.frames.filter((frame) => frame.type === 'stream_event')).toEqual([]);
    const assistant = client.frames.find((frame) => frame.type === 'assistant');
    expect(JSON.stringify(assistant)).toContain('Echo: quiet');
    await client.close();
  }, 60_000);
});
