import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createBatchedWriter } from './batched-writer.js';
import { formatSseEvent } from './sse-stream.js';

function fakeTarget() {
  const writes: string[] = [];
  const calls: string[] = [];
  let buffered = 0;
  return {
    writes,
    calls,
    setBuffered: (bytes: number) => {
      buffered = bytes;
    },
    target: {
      write: (frame: string) => {
        writes.push(frame);
        calls.push('write');
      },
      bufferedBytes: () => buffered,
      socket: () =>
        ({
          cork: () => calls.push('cork'),
          uncork: () => calls.push('uncork'),
        }) as never,
    },
  };
}

describe('createBatchedWriter', () => {
  it('writes the frames of one tick in one corked batch, in order', async () => {
    const fake = fakeTarget();
    const writer = createBatchedWriter(fake.target, {
      maxBufferedBytes: 1000,
      onOverflow: () => {},
    });
    writer.send('a');
    writer.send('b');
    writer.send('c');
    expect(fake.writes).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(fake.writes).toEqual(['a', 'b', 'c']);
    expect(fake.calls).toEqual(['cork', 'write', 'write', 'write', 'uncork']);
  });

  it('cuts a client over its bound once and drops what was pending', async () => {
    const fake = fakeTarget();
    let overflows = 0;
    const writer = createBatchedWriter(fake.target, {
      maxBufferedBytes: 10,
      onOverflow: () => overflows++,
    });
    fake.setBuffered(8);
    expect(writer.send('12')).toBe(true);
    expect(writer.send('3')).toBe(false);
    expect(writer.send('4')).toBe(false);
    await new Promise((resolve) => setImmediate(resolve));
    expect(overflows).toBe(1);
    expect(fake.writes).toEqual([]);
  });

  it('waitForRoom resolves false when the client does not drain in time', async () => {
    const fake = fakeTarget();
    const writer = createBatchedWriter(fake.target, {
      maxBufferedBytes: 100,
      onOverflow: () => {},
    });
    fake.setBuffered(90);
    expect(await writer.waitForRoom(30)).toBe(false);
    fake.setBuffered(10);
    expect(await writer.waitForRoom(30)).toBe(true);
  });

  it('waitForRoom wakes on the socket draining, long before its fallback poll', async () => {
    let buffered = 200;
    const socket = Object.assign(new EventEmitter(), { cork: () => {}, uncork: () => {} });
    const writer = createBatchedWriter(
      { write: () => {}, bufferedBytes: () => buffered, socket: () => socket as never },
      { maxBufferedBytes: 100, onOverflow: () => {} },
    );
    const started = performance.now();
    const waiting = writer.waitForRoom(5_000);
    setTimeout(() => {
      socket.emit('drain');
      buffered = 40;
      // Not yet: the drain above came before room was free; this one finds it.
      setTimeout(() => socket.emit('drain'), 5);
    }, 5);
    expect(await waiting).toBe(true);
    expect(performance.now() - started).toBeLessThan(90);
    expect(socket.listenerCount('drain')).toBe(0);
    expect(socket.listenerCount('close')).toBe(0);
  });

  it('waitForRoom resolves false at once when the writer stops', async () => {
    const fake = fakeTarget();
    const writer = createBatchedWriter(fake.target, {
      maxBufferedBytes: 100,
      onOverflow: () => {},
    });
    fake.setBuffered(90);
    const waiting = writer.waitForRoom(5_000);
    const started = performance.now();
    writer.stop();
    expect(await waiting).toBe(false);
    expect(performance.now() - started).toBeLessThan(50);
  });
});

describe('formatSseEvent', () => {
  it('frames an entry with id, event and one data line', () => {
    expect(formatSseEvent({ seq: 3, type: 'result', text: 'a\nb' })).toBe(
      'id: 3\nevent: result\ndata: {"seq":3,"type":"result","text":"a\\nb"}\n\n',
    );
    expect(formatSseEvent({ type: 'stream_event' })).toBe(
      'event: stream_event\ndata: {"type":"stream_event"}\n\n',
    );
  });
});
