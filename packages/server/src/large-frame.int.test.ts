import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './test-support/server-harness.js';
import { connectWs } from './test-support/ws-client.js';
import { WS_MAX_PAYLOAD_BYTES } from './ws-gateway.js';

describe('WebSocket frames over the frame limit', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('answers a 6 MiB frame with a PAYLOAD_TOO_LARGE error frame and keeps the connection open', async () => {
    const client = await connectWs(`${server.wsUrl}/ws`);
    const ready = await client.waitFor((frame) => frame.type === 'session.ready');
    const huge = JSON.stringify({ type: 'message', content: 'x'.repeat(6 * 1024 * 1024) });
    expect(Buffer.byteLength(huge)).toBeGreaterThan(4 * 1024 * 1024);
    client.sendRaw(huge);
    const error = await client.waitFor((frame) => frame.type === 'error');
    expect(error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', error: expect.any(String) });
    client.send({ type: 'ping' });
    await client.waitFor((frame) => frame.type === 'pong');
    expect(client.socket.readyState).toBe(1);
    // Nothing was queued.
    const id = (ready.session as { id: string }).id;
    const log = (await (await fetch(`${server.url}/v1/sessions/${id}/events`)).json()) as {
      entries: Array<{ type: string }>;
    };
    expect(log.entries.filter((entry) => entry.type === 'message.queued')).toEqual([]);
    await client.close();
  }, 30_000);

  it('still closes with 1009 past the 16 MiB hard cap', async () => {
    const client = await connectWs(`${server.wsUrl}/ws`);
    await client.waitFor((frame) => frame.type === 'session.ready');
    client.sendRaw(Buffer.alloc(WS_MAX_PAYLOAD_BYTES + 1, 'y').toString());
    const closed = await client.closed;
    expect(closed.code).toBe(1009);
  }, 30_000);
});
