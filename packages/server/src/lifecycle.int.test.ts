import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './test-support/server-harness.js';
import { connectWs } from './test-support/ws-client.js';

async function until<T>(
  read: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (accept(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`condition not met; last value ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('session lifecycle and metrics', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ unsubscribedGraceMs: 500 });
  });
  afterAll(async () => {
    await server?.close();
  });

  const metric = async (name: string) => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
    return match ? Number(match[1]) : Number.NaN;
  };

  it('opening a session warms its runner; the last subscriber leaving hibernates it after the grace period', async () => {
    const client = await connectWs(`${server.wsUrl}/ws`);
    const ready = await client.waitFor((frame) => frame.type === 'session.ready');
    const id = (ready.session as { id: string }).id;
    expect(
      await until(
        () => metric('agent_sessions_live_runners'),
        (value) => value === 1,
      ),
    ).toBe(1);
    expect(await metric('agent_sessions_ws_connections')).toBe(1);

    client.send({ type: 'message', content: '[[tokens:50:70]] count me' });
    await client.waitFor((frame) => frame.type === 'turn.ended');
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toMatch(/agent_sessions_turn_duration_seconds_count\{outcome="success"\} 1/);
    expect(text).toMatch(/agent_sessions_first_token_seconds_count 1/);
    expect(text).toMatch(/agent_sessions_tokens_total\{kind="output"\} 70/);
    expect(text).toMatch(/agent_sessions_cost_usd_total [0-9.e-]+/);
    expect(text).toMatch(/agent_sessions_sessions\{status="idle"\} 1/);

    await client.close();
    const session = await until(
      async () =>
        (await (await fetch(`${server.url}/v1/sessions/${id}`)).json()) as { status: string },
      (value) => value.status === 'hibernated',
    );
    expect(session.status).toBe('hibernated');
    expect(
      await until(
        () => metric('agent_sessions_live_runners'),
        (value) => value === 0,
      ),
    ).toBe(0);
    expect(await metric('agent_sessions_ws_connections')).toBe(0);
  });

  it('/healthz and /readyz answer', async () => {
    expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    const unknown = await fetch(`${server.url}/nope`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: 'NOT_FOUND' });
  });
});
