import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './test-support/server-harness.js';
import { readSse } from './test-support/sse-client.js';
import { connectWs } from './test-support/ws-client.js';

const alpha = { authorization: 'Bearer alpha-key-0123456789' };
const beta = { authorization: 'Bearer beta-key-0123456789' };

describe('auth and tenant isolation', () => {
  let server: TestServer;
  let sessionId: string;
  beforeAll(async () => {
    server = await startTestServer(
      {},
      { env: { AGENT_SESSIONS_KEYS: 'alpha:alpha-key-0123456789,beta:beta-key-0123456789' } },
    );
    const response = await fetch(`${server.url}/v1/sessions`, {
      method: 'POST',
      headers: { ...alpha, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'alpha only' }),
    });
    expect(response.status).toBe(201);
    sessionId = ((await response.json()) as { id: string }).id;
  });
  afterAll(async () => {
    await server?.close();
  });

  const routes = (id: string): Array<[string, string, unknown?]> => [
    ['GET', `/v1/sessions/${id}`],
    ['DELETE', `/v1/sessions/${id}`],
    ['POST', `/v1/sessions/${id}/messages`, { content: 'hi' }],
    ['POST', `/v1/sessions/${id}/interrupt`],
    ['POST', `/v1/sessions/${id}/reset`],
    ['POST', `/v1/sessions/${id}/permissions/req-1`, { behavior: 'allow' }],
    ['GET', `/v1/sessions/${id}/events?after=0`],
  ];

  it("tenant B gets 404 SESSION_NOT_FOUND for tenant A's session on every route, SSE included", async () => {
    for (const [method, path, body] of routes(sessionId)) {
      const response = await fetch(`${server.url}${path}`, {
        method,
        headers: { ...beta, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      expect([method, path, response.status]).toEqual([method, path, 404]);
      expect(await response.json()).toMatchObject({
        code: 'SESSION_NOT_FOUND',
        error: expect.any(String),
      });
    }
    const stream = await readSse(`${server.url}/v1/sessions/${sessionId}/events`, {
      headers: beta,
      until: () => true,
    });
    expect(stream.status).toBe(404);
    const list = await fetch(`${server.url}/v1/sessions`, { headers: beta });
    expect(
      ((await list.json()) as { items: Array<{ id: string }> }).items.map((item) => item.id),
    ).not.toContain(sessionId);
    // The owner still sees it: the 404s above were not a deleted session.
    const own = await fetch(`${server.url}/v1/sessions/${sessionId}`, { headers: alpha });
    expect(own.status).toBe(200);
    expect(await own.json()).toMatchObject({ id: sessionId, title: 'alpha only' });
  });

  it("tenant B on /ws?session=<A's session> gets an error frame and close 4404, by header or token=", async () => {
    for (const [url, headers] of [
      [`${server.wsUrl}/ws?session=${sessionId}`, beta],
      [`${server.wsUrl}/ws?session=${sessionId}&token=beta-key-0123456789`, {}],
    ] as const) {
      const client = await connectWs(url, { headers });
      const closed = await client.closed;
      expect(closed.code).toBe(4404);
      expect(client.frames).toEqual([
        expect.objectContaining({ type: 'error', code: 'SESSION_NOT_FOUND' }),
      ]);
    }
    const owner = await connectWs(
      `${server.wsUrl}/ws?session=${sessionId}&token=alpha-key-0123456789`,
    );
    const ready = await owner.waitFor((frame) => frame.type === 'session.ready');
    expect((ready.session as { id: string }).id).toBe(sessionId);
    await owner.close();
  });

  it('no key or a wrong key -> 401 UNAUTHORIZED on HTTP and on the WebSocket upgrade', async () => {
    for (const headers of [{}, { authorization: 'Bearer not-a-real-key-000' }] as Record<
      string,
      string
    >[]) {
      const response = await fetch(`${server.url}/v1/sessions`, { headers });
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ code: 'UNAUTHORIZED' });
      await expect(connectWs(`${server.wsUrl}/ws`, { headers })).rejects.toMatchObject({
        status: 401,
      });
    }
    // Health and metrics stay open for probes.
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});
