import { createHook } from 'node:async_hooks';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScriptedModel, type ScriptedModel } from './create-scripted-model.js';

// Vitest and Node start and clear timers of their own at any moment, so counting every active
// timer is flaky: track only the timers created synchronously by the stream writer.
const streamTimers = new Set<number>();
const timerHook = createHook({
  init(asyncId, type) {
    if (type !== 'Timeout') return;
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 40;
    // Async frames would also match timers the http layer starts for a finished response.
    const stack = (new Error().stack ?? '').split('\n    at async ')[0]!;
    Error.stackTraceLimit = limit;
    if (stack.includes('sse-writer')) streamTimers.add(asyncId);
  },
  destroy(asyncId) {
    streamTimers.delete(asyncId);
  },
});
// Destroy hooks run a little after the timer is cleared: poll, well below the timers' delays.
const activeTimers = () => streamTimers.size;

let model: ScriptedModel;
beforeAll(async () => {
  timerHook.enable();
  model = await createScriptedModel();
});
afterAll(async () => {
  await model.close();
  timerHook.disable();
});

function body(text: string) {
  return JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: text }] });
}

function openStream(url: string, text: string) {
  const request = httpRequest(`${url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    agent: false,
  });
  const chunks: string[] = [];
  const firstChunk = new Promise<void>((resolve, reject) => {
    request.on('response', (response: IncomingMessage) => {
      response.on('data', (chunk: Buffer) => {
        chunks.push(chunk.toString());
        resolve();
      });
      response.on('error', () => {});
    });
    request.on('error', reject);
  });
  const ended = new Promise<void>((resolve) => {
    request.on('response', (response: IncomingMessage) => response.on('end', resolve));
    request.on('close', resolve);
  });
  request.end(body(text));
  return { request, chunks, firstChunk, ended };
}

describe('client disconnects and shutdown', () => {
  it('stops a stream when the client goes away, without leaking timers', async () => {
    const timersBefore = activeTimers();
    // Ten deltas two seconds apart: a timer that outlived the client would be seen below.
    const stream = openStream(model.url, '[[slow:20000]] [[reply:0123456789]]');
    await stream.firstChunk;
    expect(activeTimers()).toBe(timersBefore + 1);
    stream.request.destroy();
    await expect.poll(() => model.requests[0]?.outcome, { timeout: 500 }).toBe('client_closed');
    await expect.poll(activeTimers, { timeout: 300 }).toBe(timersBefore);

    const next = openStream(model.url, 'after the disconnect');
    await next.ended;
    expect(next.chunks.join('')).toContain('event: message_stop');
    expect(model.requests[1]?.outcome).toBe('text');
  });

  it('close() ends in-flight stalls at once, clears their timers and refuses new connections', async () => {
    const local = await createScriptedModel();
    const timersBefore = activeTimers();
    const stream = openStream(local.url, '[[stall:30000]] hi');
    await stream.firstChunk;
    expect(stream.chunks.join('')).toContain('event: message_start');
    expect(activeTimers()).toBe(timersBefore + 1);
    const started = performance.now();
    await local.close();
    await stream.ended;
    expect(performance.now() - started).toBeLessThan(1000);
    expect(stream.chunks.join('')).not.toContain('event: ping');
    await expect.poll(activeTimers, { timeout: 300 }).toBe(timersBefore);
    expect(local.requests[0]?.outcome).toBe('client_closed');
    const refused = openStream(local.url, 'too late');
    await expect(refused.firstChunk).rejects.toThrow();
    await local.close(); // idempotent
  });
});
