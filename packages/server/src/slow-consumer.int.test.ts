import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './test-support/server-harness.js';
import { connectWs } from './test-support/ws-client.js';

const ENTRY_BYTES = 10_000;
const ENTRIES = 4_000; // a 40 MB log

describe('a slow consumer', () => {
  let server: TestServer;
  let sessionId: string;
  beforeAll(async () => {
    server = await startTestServer({
      maxClientBufferBytes: 1024 * 1024,
      clientStallTimeoutMs: 1000,
    });
    const create = await fetch(`${server.url}/v1/sessions`, { method: 'POST' });
    sessionId = ((await create.json()) as { id: string }).id;
    const padding = 'p'.repeat(ENTRY_BYTES);
    for (let batch = 0; batch < ENTRIES / 500; batch++) {
      await server.running.store.commit(sessionId, {
        entries: Array.from({ length: 500 }, (_, index) => ({
          type: 'bulk',
          index: batch * 500 + index,
          padding,
        })),
      });
    }
  });
  afterAll(async () => {
    await server?.close();
  });

  it('a raw socket that never reads is cut (4008 SLOW_CONSUMER), server memory stays bounded, a reading client still gets everything', async () => {
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    const { port } = new URL(server.url);
    const socket: Socket = connect(Number(port), '127.0.0.1');
    let received = 0;
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    socket.on('error', () => {});
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    // Never read: the kernel buffers fill, then the server's.
    socket.pause();
    socket.write(
      `GET /ws?session=${sessionId}&after=0 HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    const deadline = Date.now() + 20_000;
    let metrics = '';
    while (Date.now() < deadline) {
      metrics = await (await fetch(`${server.url}/metrics`)).text();
      if (/agent_sessions_slow_consumer_disconnects_total\{transport="ws"\} 1/.test(metrics)) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(metrics).toMatch(/agent_sessions_slow_consumer_disconnects_total\{transport="ws"\} 1/);
    // Once the client reads again it finds the connection cut long before the end of the log.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    clearInterval(sampler);
    socket.resume();
    await closed;
    expect(received).toBeLessThan((ENTRIES * ENTRY_BYTES) / 4);
    // The log is 40 MB; the server never held anything like it for this client.
    const grownMb = (peak - baseline) / 1024 / 1024;
    expect(grownMb).toBeLessThan(30);

    // A client that reads gets the whole log, in order.
    const reader = await connectWs(`${server.wsUrl}/ws?session=${sessionId}&after=0`);
    try {
      await reader.waitFor((frame) => frame.seq === ENTRIES, 30_000);
      const seqs = reader.frames
        .filter((frame) => typeof frame.seq === 'number')
        .map((frame) => frame.seq);
      expect(seqs).toEqual(Array.from({ length: ENTRIES }, (_, index) => index + 1));
    } finally {
      await reader.close();
    }
  });
});
