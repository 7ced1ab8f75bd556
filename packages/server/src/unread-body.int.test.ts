import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './test-support/server-harness.js';

const json = { 'content-type': 'application/json' };

// Node's fetch: one undici keep-alive agent for the whole process, so a socket left in a bad
// state by the server is reused by the next request to the same origin.
describe('responses sent before the request body was read (keep-alive clients)', () => {
  let server: TestServer;
  let sessionId: string;
  beforeAll(async () => {
    server = await startTestServer();
    const create = await fetch(`${server.url}/v1/sessions`, { method: 'POST' });
    sessionId = ((await create.json()) as { id: string }).id;
  });
  afterAll(async () => {
    await server?.close();
  });

  it('an oversized POST gets 413 with Connection: close, and the next requests on the same origin succeed', async () => {
    for (const size of [2_000_000, 20_000_000, 2_000_000]) {
      const response = await fetch(`${server.url}/v1/sessions/${sessionId}/messages`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ content: 'x'.repeat(size) }),
      });
      expect(response.status).toBe(413);
      expect(response.headers.get('connection')).toBe('close');
      expect(await response.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
      // At once and after hono's former 500 ms clean-up delay: both must find a usable socket.
      const next = await fetch(`${server.url}/v1/sessions/${sessionId}`);
      expect(next.status).toBe(200);
      await next.arrayBuffer();
      await new Promise((resolve) => setTimeout(resolve, 600));
      const later = await fetch(`${server.url}/v1/sessions/${sessionId}`);
      expect(later.status).toBe(200);
      await later.arrayBuffer();
    }
  });

  it('a rejection before the body is read (404 unknown session) closes the connection, the next request succeeds', async () => {
    const response = await fetch(`${server.url}/v1/sessions/no-such-session/messages`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ content: 'x'.repeat(900_000) }),
    });
    expect(response.status).toBe(404);
    await response.arrayBuffer();
    const next = await fetch(`${server.url}/v1/sessions/${sessionId}`);
    expect(next.status).toBe(200);
    await next.arrayBuffer();
  });

  it('keeps the connection alive when the body was read', async () => {
    const response = await fetch(`${server.url}/v1/sessions`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ title: 'kept alive' }),
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('connection')).toBe('keep-alive');
    await response.arrayBuffer();
  });
});
