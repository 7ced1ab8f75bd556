import type { LogEntry } from '@agent-sessions/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from './create-client.js';

// A stand-in for the socket only (no server logic): the test plays the server's frames.
class FakeSocket {
  static instances: FakeSocket[] = [];
  readyState = 1;
  sent: Array<Record<string, unknown>> = [];
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.instances.push(this);
  }
  get after(): number {
    return Number(new URL(this.url).searchParams.get('after'));
  }
  send(data: string) {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }
  close() {
    this.drop(1000);
  }
  receive(frame: Record<string, unknown>) {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
  ready(lastSeq = 0) {
    this.receive({ type: 'session.ready', session: { id: 's1', status: 'idle' }, lastSeq });
  }
  drop(code = 1006) {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.({ code, reason: '' });
  }
}

const sessionBody = JSON.stringify({ id: 's1', status: 'idle' });
const okFetch = (async () => new Response(sessionBody, { status: 200 })) as typeof fetch;

function setup(fetchImplementation: typeof fetch = okFetch) {
  FakeSocket.instances = [];
  const client = createClient({
    url: 'http://127.0.0.1:1/',
    apiKey: 'k1',
    WebSocket: FakeSocket,
    fetch: fetchImplementation,
  });
  const connection = client
    .session('s1')
    .connect({ backoff: { initialMs: 1, maxMs: 5 }, heartbeatMs: 0 });
  const entries: LogEntry[] = [];
  const states: string[] = [];
  connection.on('entry', (entry) => entries.push(entry));
  connection.on('state', (state) => states.push(state));
  return { client, connection, entries, states };
}

async function nextSocket(count: number): Promise<FakeSocket> {
  for (let tries = 0; tries < 200; tries += 1) {
    const socket = FakeSocket.instances[count - 1];
    if (socket) return socket;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  throw new Error(`socket #${count} was never opened`);
}

const entry = (seq: number, type = 'assistant') => ({ type, seq, message: { content: [] } });

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

describe('session connection (socket logic)', () => {
  it('puts the token and after= in the URL and resumes from the last delivered seq', async () => {
    const { connection, entries, states } = setup();
    cleanup = () => connection.close();
    const first = await nextSocket(1);
    expect(first.url).toBe('ws://127.0.0.1:1/ws?session=s1&after=0&token=k1');
    first.ready();
    for (const seq of [1, 2, 3]) first.receive(entry(seq));
    first.drop();
    const second = await nextSocket(2);
    expect(second.after).toBe(3);
    second.ready(5);
    // The replay overlaps what was already delivered: nothing twice.
    for (const seq of [3, 4, 5]) second.receive(entry(seq));
    expect(entries.map((item) => item.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(states).toEqual(['open', 'reconnecting', 'open']);
    expect(connection.lastSeq).toBe(5);
  });

  it('reconnects from the last contiguous seq when it sees a gap', async () => {
    const { connection, entries } = setup();
    cleanup = () => connection.close();
    const first = await nextSocket(1);
    first.ready();
    first.receive(entry(1));
    first.receive(entry(3));
    first.receive(entry(4));
    const second = await nextSocket(2);
    expect(second.after).toBe(1);
    second.ready();
    for (const seq of [2, 3, 4]) second.receive(entry(seq));
    expect(entries.map((item) => item.seq)).toEqual([1, 2, 3, 4]);
  });

  it('queues a send made while disconnected and resends an unacked one with the same id', async () => {
    const { connection } = setup();
    cleanup = () => connection.close();
    const first = await nextSocket(1);
    const acked = connection.send('hello', { policy: 'enqueue' });
    expect(first.sent).toEqual([]);
    first.ready();
    expect(first.sent).toHaveLength(1);
    const frame = first.sent[0]!;
    expect(frame).toMatchObject({ type: 'message', content: 'hello', policy: 'enqueue' });
    expect(typeof frame.clientMessageId).toBe('string');
    first.drop();
    const second = await nextSocket(2);
    second.ready();
    expect(second.sent).toEqual([frame]);
    second.receive({
      type: 'ack',
      clientMessageId: frame.clientMessageId,
      messageId: 'm1',
      seq: 1,
    });
    await expect(acked).resolves.toMatchObject({ messageId: 'm1', seq: 1 });
  });

  it('rejects a send answered by an error frame and keeps the connection open', async () => {
    const { connection } = setup();
    cleanup = () => connection.close();
    const socket = await nextSocket(1);
    socket.ready();
    const refused = connection.send('busy?', { policy: 'reject' });
    socket.receive({ type: 'error', error: 'The session is busy.', code: 'SESSION_BUSY' });
    await expect(refused).rejects.toMatchObject({ code: 'SESSION_BUSY' });
    expect(connection.state).toBe('open');
  });

  it('closes for good with SESSION_NOT_FOUND on close code 4404 and ends iterators', async () => {
    const { connection } = setup();
    const errors: string[] = [];
    connection.on('error', (error) => errors.push(error.code));
    const iterator = connection[Symbol.asyncIterator]();
    const socket = await nextSocket(1);
    socket.ready();
    socket.receive(entry(1));
    socket.drop(4404);
    await expect(iterator.next()).resolves.toMatchObject({ value: { seq: 1 }, done: false });
    await expect(iterator.next()).resolves.toEqual({ value: undefined, done: true });
    expect(errors).toEqual(['SESSION_NOT_FOUND']);
    expect(connection.state).toBe('closed');
  });

  it('gives up when the server refuses the key', async () => {
    const unauthorized = (async () =>
      new Response(JSON.stringify({ error: 'Bad key.', code: 'UNAUTHORIZED' }), {
        status: 401,
      })) as typeof fetch;
    const { connection } = setup(unauthorized);
    const closed = new Promise<string>((resolve) =>
      connection.on('error', (error) => resolve(error.code)),
    );
    const socket = await nextSocket(1);
    socket.drop(1006);
    await expect(closed).resolves.toBe('UNAUTHORIZED');
    expect(connection.state).toBe('closed');
    expect(FakeSocket.instances).toHaveLength(1);
  });

  it('sends control frames over the socket when open and over HTTP when not', async () => {
    const calls: string[] = [];
    const recording = (async (url: string | URL | Request, init?: RequestInit) => {
      calls.push(`${init?.method} ${String(url)}`);
      return new Response(sessionBody, { status: 202 });
    }) as typeof fetch;
    const { connection } = setup(recording);
    cleanup = () => connection.close();
    const socket = await nextSocket(1);
    await connection.interrupt();
    expect(calls).toEqual(['POST http://127.0.0.1:1/v1/sessions/s1/interrupt']);
    socket.ready();
    await connection.respondToPermission('p1', 'allow');
    expect(socket.sent).toEqual([{ type: 'permission', requestId: 'p1', behavior: 'allow' }]);
  });
});
