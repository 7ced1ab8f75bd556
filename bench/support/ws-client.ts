/**
 * A minimal WebSocket client for benchmarks: JSON frames, one listener at a time for speed,
 * and `waitFor(predicate)` for request/response style measurements.
 */
import WebSocket from 'ws';
import { withTimeout } from '../harness.js';

export type Frame = { type: string; seq?: number; [field: string]: unknown };

export interface BenchClient {
  socket: WebSocket;
  send(frame: unknown): void;
  /** Resolves with the first frame (from now on) that matches. */
  waitFor(predicate: (frame: Frame) => boolean, timeoutMs?: number, what?: string): Promise<Frame>;
  /** Called for every frame, after waiters. */
  onFrame: ((frame: Frame) => void) | undefined;
  /** The `session.ready` frame, when `connect` was asked to wait for it. */
  ready: Frame | undefined;
  /** Errors seen: `error` frames, socket errors, unexpected closes. */
  errors: string[];
  close(): Promise<void>;
}

/**
 * @example
 * ```ts
 * const client = await connect(`${server.wsUrl}/ws`);
 * const ready = await client.waitFor((frame) => frame.type === 'session.ready');
 * ```
 */
export function connect(
  url: string,
  options: { timeoutMs?: number; ready?: boolean; onFrame?: (frame: Frame) => void } = {},
): Promise<BenchClient> {
  const socket = new WebSocket(url, { perMessageDeflate: false });
  const waiters = new Set<{
    predicate: (frame: Frame) => boolean;
    resolve: (frame: Frame) => void;
  }>();
  let closing = false;
  const client: BenchClient = {
    socket,
    onFrame: options.onFrame,
    ready: undefined,
    errors: [],
    send(frame) {
      socket.send(JSON.stringify(frame));
    },
    waitFor(predicate, timeoutMs = 30_000, what = 'frame') {
      let waiter: { predicate: (frame: Frame) => boolean; resolve: (frame: Frame) => void };
      const promise = new Promise<Frame>((resolve) => {
        waiter = { predicate, resolve };
        waiters.add(waiter);
      });
      return withTimeout(promise, timeoutMs, `waiting for ${what}`).finally(() =>
        waiters.delete(waiter),
      );
    },
    close() {
      closing = true;
      if (socket.readyState === WebSocket.CLOSED) return Promise.resolve();
      return new Promise((resolve) => {
        socket.once('close', () => resolve());
        socket.close();
        setTimeout(() => {
          socket.terminate();
          resolve();
        }, 2_000).unref();
      });
    },
  };
  socket.on('message', (data) => {
    const frame = JSON.parse(data.toString()) as Frame;
    if (frame.type === 'error')
      client.errors.push(`error frame: ${String(frame.error)} (${String(frame.code)})`);
    for (const waiter of waiters) {
      if (waiter.predicate(frame)) {
        waiters.delete(waiter);
        waiter.resolve(frame);
      }
    }
    client.onFrame?.(frame);
  });
  socket.on('close', (code) => {
    if (!closing) client.errors.push(`closed unexpectedly (${code})`);
  });
  // The server's first frame can arrive in the same packet as the upgrade answer, before a
  // waiter added after 'open' runs: register the `session.ready` waiter up front.
  const ready = options.ready
    ? client.waitFor(
        (frame) => frame.type === 'session.ready',
        options.timeoutMs ?? 15_000,
        'session.ready',
      )
    : undefined;
  return withTimeout(
    new Promise<BenchClient>((resolve, reject) => {
      socket.once('open', () => {
        if (!ready) resolve(client);
        else
          ready.then((frame) => {
            client.ready = frame;
            resolve(client);
          }, reject);
      });
      socket.once('error', (error) => {
        client.errors.push(`socket error: ${error.message}`);
        reject(error);
      });
    }),
    options.timeoutMs ?? 15_000,
    `connecting to ${url}`,
  );
}

/** The session id from a client's `session.ready` frame (connect with `ready: true`). */
export function sessionIdOf(client: BenchClient): string {
  const session = client.ready?.session as { id?: unknown } | undefined;
  if (typeof session?.id !== 'string') throw new Error('no session id in session.ready');
  return session.id;
}
