import { connect, createServer, type Socket } from 'node:net';

/** A TCP proxy to a local port whose connections a test can cut at will. */
export interface TcpProxy {
  readonly url: string;
  /** Connections currently open. */
  readonly openConnections: number;
  /** Destroys every open connection (the client sees an abnormal close). */
  cutAll(): number;
  /**
   * Cuts the next connection right after forwarding the next chunk the client sends, so the
   * server gets the frame but its answer is lost.
   */
  cutAfterNextClientData(): void;
  close(): Promise<void>;
}

/**
 * Starts a proxy on a free loopback port in front of `127.0.0.1:targetPort`.
 *
 * @example
 * ```ts
 * const proxy = await startTcpProxy(server.port);
 * const client = createClient({ url: proxy.url, WebSocket });
 * proxy.cutAll();
 * ```
 */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let cutAfterData = false;
  const server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk) => {
      // Only a frame after the HTTP upgrade counts (the upgrade request starts with GET).
      if (cutAfterData && !chunk.subarray(0, 4).equals(Buffer.from('GET '))) {
        cutAfterData = false;
        client.destroy();
        upstream.write(chunk, end);
        return;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => client.write(chunk));
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    get openConnections() {
      return pairs.size;
    },
    cutAll() {
      const count = pairs.size;
      for (const [client, upstream] of [...pairs]) {
        client.destroy();
        upstream.destroy();
      }
      pairs.clear();
      return count;
    },
    cutAfterNextClientData() {
      cutAfterData = true;
    },
    async close() {
      for (const [client, upstream] of pairs) {
        client.destroy();
        upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
