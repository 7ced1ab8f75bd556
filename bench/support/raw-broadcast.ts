/**
 * The raw baseline for fan-out: a plain `ws` server that sends each message to every client
 * with one `send` each (what a hand-written broadcast server does), no persistence.
 */
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';

export interface RawBroadcastServer {
  url: string;
  /** Sends each payload to every connected client, in order. */
  broadcast(payloads: string[]): void;
  clientCount(): number;
  close(): Promise<void>;
}

/**
 * @example
 * ```ts
 * const raw = await startRawBroadcastServer();
 * raw.broadcast([JSON.stringify({ seq: 1 })]);
 * ```
 */
export async function startRawBroadcastServer(): Promise<RawBroadcastServer> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const address = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${address.port}`,
    broadcast(payloads) {
      for (const payload of payloads) {
        for (const client of server.clients) {
          if (client.readyState === WebSocket.OPEN) client.send(payload);
        }
      }
    },
    clientCount: () => server.clients.size,
    close() {
      for (const client of server.clients) client.terminate();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
