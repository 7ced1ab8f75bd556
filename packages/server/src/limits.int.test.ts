import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './test-support/server-harness.js';
import { connectWs } from './test-support/ws-client.js';

const json = { 'content-type': 'application/json' };

describe('rate limits', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(
      {},
      {
        env: {
          AGENT_SESSIONS_KEYS: 'gamma:gamma-key-0123456789,delta:delta-key-0123456789',
          AGENT_SESSIONS_RATE_LIMIT_PER_MINUTE: '20',
        },
      },
    );
  });
  afterAll(async () => {
    await server?.close();
  });

  it('per key: over the limit -> 429 RATE_LIMITED with Retry-After on HTTP, a RATE_LIMITED frame on WebSocket; other keys unaffected', async () => {
    const gamma = { authorization: 'Bearer gamma-key-0123456789' };
    const client = await connectWs(`${server.wsUrl}/ws?token=gamma-key-0123456789`);
    await client.waitFor((frame) => frame.type === 'session.ready');
    const statuses: number[] = [];
    let limited: Response | undefined;
    for (let index = 0; index < 30; index++) {
      const response = await fetch(`${server.url}/v1/sessions`, { headers: gamma });
      statuses.push(response.status);
      if (response.status === 429) limited ??= response;
      else await response.arrayBuffer();
    }
    // 20 points a minute, one already spent on the WebSocket upgrade.
    expect(statuses.filter((status) => status === 200)).toHaveLength(19);
    expect(statuses.slice(19).every((status) => status === 429)).toBe(true);
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await limited!.json()).toMatchObject({
      code: 'RATE_LIMITED',
      error: expect.any(String),
    });

    client.send({ type: 'ping' });
    const error = await client.waitFor((frame) => frame.type === 'error');
    expect(error.code).toBe('RATE_LIMITED');
    expect(client.socket.readyState).toBe(1);

    const other = await fetch(`${server.url}/v1/sessions`, {
      headers: { authorization: 'Bearer delta-key-0123456789' },
    });
    expect(other.status).toBe(200);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/agent_sessions_rate_limit_rejections_total\{scope="request"\} [1-9]/);
    await client.close();
  });
});

describe('budgets, queue cap, sizes', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      dailyBudgetUsd: 0.000001,
      maxQueuedPerSession: 2,
      maxBodyBytes: 4096,
      maxFrameBytes: 4096,
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('a tenant over its daily budget gets BUDGET_EXCEEDED before a new turn starts (HTTP 402 and a frame)', async () => {
    const client = await connectWs(`${server.wsUrl}/ws`);
    const ready = await client.waitFor((frame) => frame.type === 'session.ready');
    const id = (ready.session as { id: string }).id;
    client.send({ type: 'message', content: '[[tokens:1000:1000]] spend a little' });
    const ended = await client.waitFor((frame) => frame.type === 'turn.ended');
    expect(ended.costUsd).toBeGreaterThan(0.000001);

    const before = client.frames.length;
    client.send({ type: 'message', content: 'one more', clientMessageId: 'over-budget' });
    const error = await client.waitFor((frame) => frame.type === 'error', 10_000, before);
    expect(error).toMatchObject({ code: 'BUDGET_EXCEEDED', clientMessageId: 'over-budget' });
    const response = await fetch(`${server.url}/v1/sessions/${id}/messages`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ content: 'and another' }),
    });
    expect(response.status).toBe(402);
    expect(await response.json()).toMatchObject({ code: 'BUDGET_EXCEEDED' });
    // Nothing was queued for the refused messages.
    const log = (await (await fetch(`${server.url}/v1/sessions/${id}/events`)).json()) as {
      entries: Array<{ type: string }>;
    };
    expect(log.entries.filter((entry) => entry.type === 'message.queued')).toHaveLength(1);
    await client.close();
  });

  it('413 PAYLOAD_TOO_LARGE for a big body, a PAYLOAD_TOO_LARGE frame (connection kept) for a big frame', async () => {
    const create = await fetch(`${server.url}/v1/sessions`, { method: 'POST' });
    const { id } = (await create.json()) as { id: string };
    const response = await fetch(`${server.url}/v1/sessions/${id}/messages`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ content: 'x'.repeat(10_000) }),
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });

    const client = await connectWs(`${server.wsUrl}/ws?session=${id}`);
    await client.waitFor((frame) => frame.type === 'session.ready');
    client.send({ type: 'message', content: 'y'.repeat(10_000) });
    const error = await client.waitFor((frame) => frame.type === 'error');
    expect(error.code).toBe('PAYLOAD_TOO_LARGE');
    client.send({ type: 'ping' });
    await client.waitFor((frame) => frame.type === 'pong');
    await client.close();
  });
});

describe('queued-messages cap', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ maxQueuedPerSession: 2 });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('refuses a message past the per-session queue cap with 429 QUEUE_FULL', async () => {
    const create = await fetch(`${server.url}/v1/sessions`, { method: 'POST' });
    const { id } = (await create.json()) as { id: string };
    const post = (content: string) =>
      fetch(`${server.url}/v1/sessions/${id}/messages`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ content }),
      });
    const statuses: number[] = [];
    const bodies: Array<{ code?: string }> = [];
    const retryAfter: Array<string | null> = [];
    for (const content of ['[[slow:3000]] first', 'second', 'third', 'fourth', 'fifth']) {
      const response = await post(content);
      statuses.push(response.status);
      retryAfter.push(response.headers.get('retry-after'));
      bodies.push((await response.json()) as { code?: string });
    }
    expect(statuses.filter((status) => status === 202).length).toBeGreaterThanOrEqual(2);
    expect(statuses).toContain(429);
    expect(bodies.find((body) => body.code !== undefined)).toMatchObject({ code: 'QUEUE_FULL' });
    // Every 429 carries Retry-After, also when the cause is a full queue.
    expect(Number(retryAfter[statuses.indexOf(429)])).toBeGreaterThan(0);
    await fetch(`${server.url}/v1/sessions/${id}/interrupt`, { method: 'POST' });
  });
});
