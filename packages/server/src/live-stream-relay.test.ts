import type { LiveStreamEvent } from '@agent-sessions/core';
import { describe, expect, it } from 'vitest';
import type { BatchedWriter } from './batched-writer.js';
import { type LiveStreamSource, startLiveStreamRelay } from './live-stream-relay.js';

function fakeSource() {
  let handler: ((event: LiveStreamEvent) => void) | null = null;
  let stopped = false;
  const source: LiveStreamSource = {
    async followStream(_sessionId, onEvent) {
      handler = onEvent;
      return async () => {
        stopped = true;
      };
    },
  };
  return {
    source,
    emit: (event: LiveStreamEvent) => handler?.(event),
    isStopped: () => stopped,
  };
}

function fakeWriter(pending: () => number = () => 0) {
  const sent: string[] = [];
  const writer: BatchedWriter = {
    send: (frame) => {
      sent.push(frame);
      return true;
    },
    flush: () => {},
    pendingBytes: pending,
    waitForRoom: async () => true,
    stop: () => {},
  };
  return { writer, sent };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));
const delta = (afterSeq: number, text: string): LiveStreamEvent => ({
  afterSeq,
  message: {
    type: 'stream_event',
    event: { type: 'content_block_delta', delta: { type: 'text_delta', text } },
  },
});
const blockStart = (afterSeq: number): LiveStreamEvent => ({
  afterSeq,
  message: { type: 'stream_event', event: { type: 'content_block_start', content_block: {} } },
});
const text = (frame: string) =>
  (JSON.parse(frame) as { event: { delta?: { text: string } } }).event.delta?.text ?? '<start>';

describe('startLiveStreamRelay', () => {
  it('sends at once when the client is caught up; holds events until it has the entry before them', async () => {
    const { source, emit } = fakeSource();
    const { writer, sent } = fakeWriter();
    const controller = new AbortController();
    const relay = startLiveStreamRelay({
      source,
      sessionId: 's',
      writer,
      after: 3,
      encode: JSON.stringify,
      highWaterBytes: 1000,
      signal: controller.signal,
    });
    await tick();
    emit(delta(3, 'a'));
    expect(sent.map(text)).toEqual(['a']);
    emit(delta(5, 'b'));
    emit(delta(5, 'c'));
    expect(sent.map(text)).toEqual(['a']);
    relay.delivered(4);
    await tick();
    expect(sent.map(text)).toEqual(['a']);
    relay.delivered(5);
    sent.push('{"event":{"delta":{"text":"<entry 5>"}}}');
    await tick();
    // After entry 5, never before it.
    expect(sent.map(text)).toEqual(['a', '<entry 5>', 'b', 'c']);
    // Within one batch (entries encoded back to back, no await between): still in place.
    emit(delta(6, 'd'));
    relay.delivered(6);
    sent.push('{"event":{"delta":{"text":"<entry 6>"}}}');
    relay.delivered(7);
    sent.push('{"event":{"delta":{"text":"<entry 7>"}}}');
    await tick();
    expect(sent.map(text).slice(4)).toEqual(['<entry 6>', 'd', '<entry 7>']);
    controller.abort();
  });

  it('drops stream frames instead of growing a behind client buffer, and the rest of that block', async () => {
    const { source, emit } = fakeSource();
    let pending = 0;
    const { writer, sent } = fakeWriter(() => pending);
    const dropped: number[] = [];
    const controller = new AbortController();
    startLiveStreamRelay({
      source,
      sessionId: 's',
      writer,
      after: 0,
      encode: JSON.stringify,
      highWaterBytes: 1000,
      signal: controller.signal,
      onDropped: (count) => dropped.push(count),
    });
    await tick();
    emit(delta(0, 'one'));
    pending = 990;
    emit(delta(0, 'two'));
    pending = 0;
    emit(delta(0, 'three'));
    expect(sent.map(text)).toEqual(['one']);
    emit(blockStart(0));
    emit(delta(0, 'four'));
    expect(sent.map(text)).toEqual(['one', '<start>', 'four']);
    expect(dropped.reduce((sum, count) => sum + count, 0)).toBe(2);
    controller.abort();
  });

  it('bounds the events it holds and stops listening on abort', async () => {
    const { source, emit, isStopped } = fakeSource();
    const { writer, sent } = fakeWriter();
    const controller = new AbortController();
    const relay = startLiveStreamRelay({
      source,
      sessionId: 's',
      writer,
      after: 0,
      encode: JSON.stringify,
      highWaterBytes: 1_000_000,
      signal: controller.signal,
      maxHeld: 4,
    });
    await tick();
    for (let index = 0; index < 10; index++) emit(delta(9, `x${index}`));
    relay.delivered(9);
    await tick();
    // The first overflow dropped what was held and skips that block: nothing stale goes out.
    expect(sent).toEqual([]);
    emit(blockStart(9));
    emit(delta(9, 'fresh'));
    expect(sent.map(text)).toEqual(['<start>', 'fresh']);
    controller.abort();
    await tick();
    expect(isStopped()).toBe(true);
    emit(delta(9, 'late'));
    expect(sent.map(text)).toEqual(['<start>', 'fresh']);
  });
});
