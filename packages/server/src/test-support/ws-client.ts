import WebSocket from 'ws';

export interface Frame {
  type: string;
  seq?: number;
  [field: string]: unknown;
}

export interface TestWsClient {
  socket: WebSocket;
  frames: Frame[];
  send(frame: unknown): void;
  sendRaw(data: string | Buffer, binary?: boolean): void;
  /** Resolves with the first frame (from `from` on) matching `predicate`. */
  waitFor(predicate: (frame: Frame) => boolean, timeoutMs?: number, from?: number): Promise<Frame>;
  closed: Promise<{ code: number; reason: string }>;
  close(): Promise<void>;
}

/** A real `ws` client that records every frame it receives. */
export async function connectWs(
  url: string,
  options: { headers?: Record<string, string> } = {},
): Promise<TestWsClient> {
  const socket = new WebSocket(url, { headers: options.headers ?? {} });
  const frames: Frame[] = [];
  const waiters = new Set<() => void>();
  socket.on('message', (data) => {
    frames.push(JSON.parse(String(data)) as Frame);
    for (const wake of waiters) wake();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    socket.on('close', (code, reason) => {
      resolve({ code, reason: String(reason) });
      for (const wake of waiters) wake();
    });
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
    socket.once('unexpected-response', (_request, response) =>
      reject(
        Object.assign(new Error(`unexpected response ${response.statusCode}`), {
          status: response.statusCode,
        }),
      ),
    );
  });
  socket.on('error', () => {});
  return {
    socket,
    frames,
    send: (frame) => socket.send(JSON.stringify(frame)),
    sendRaw: (data, binary = false) => socket.send(data, { binary }),
    waitFor(predicate, timeoutMs = 30_000, from = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          for (let index = from; index < frames.length; index++) {
            const frame = frames[index]!;
            if (predicate(frame)) {
              cleanup();
              resolve(frame);
              return true;
            }
          }
          if (socket.readyState === WebSocket.CLOSED) {
            cleanup();
            reject(
              new Error(
                `socket closed before the frame arrived; got ${frames.map((f) => f.type).join(',')}`,
              ),
            );
            return true;
          }
          return false;
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(
              `timed out; frames: ${frames.map((f) => `${f.type}${f.seq ?? ''}`).join(',')}`,
            ),
          );
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(wake);
        };
        const wake = () => {
          check();
        };
        if (!check()) waiters.add(wake);
      });
    },
    closed,
    async close() {
      if (socket.readyState === WebSocket.CLOSED) return;
      socket.close();
      await closed;
    },
  };
}
