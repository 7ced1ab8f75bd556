import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { extname, join, normalize } from 'node:path';

/** Serves the built web UI and forwards everything else to an agent-sessions server. */
export interface WebFront {
  readonly url: string;
  close(): Promise<void>;
}

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
};

/**
 * A stand-in for the server's own static serving of `packages/web/dist` at `/`: static files
 * from `distDir`, and `/v1`, `/ws`, `/healthz`... (HTTP and WebSocket upgrades) forwarded to
 * `127.0.0.1:targetPort`, so the page and the API share one origin as in production.
 *
 * @example
 * ```ts
 * const front = await startWebFront({ distDir, targetPort: server.port });
 * await page.goto(front.url);
 * ```
 */
export async function startWebFront(options: {
  distDir: string;
  targetPort: number;
}): Promise<WebFront> {
  const { distDir, targetPort } = options;
  const sockets = new Set<import('node:net').Socket>();
  const server = createServer(async (request, response) => {
    const path = new URL(request.url ?? '/', 'http://front').pathname;
    const isApi = /^\/(v1|ws|healthz|readyz|metrics)(\/|$)/.test(path);
    if (!isApi) {
      const relative = normalize(path === '/' ? '/index.html' : path).replace(/^(\.\.[/\\])+/, '');
      const file = join(distDir, relative);
      if (file.startsWith(distDir) && existsSync(file)) {
        response.writeHead(200, {
          'content-type': types[extname(file)] ?? 'application/octet-stream',
        });
        response.end(await readFile(file));
        return;
      }
    }
    const upstream = httpRequest(
      {
        host: '127.0.0.1',
        port: targetPort,
        path: request.url,
        method: request.method,
        headers: request.headers,
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on('error', () => {
      if (!response.headersSent) response.writeHead(502, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: 'The server is unreachable.', code: 'INTERNAL' }));
    });
    request.pipe(upstream);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('upgrade', (request, socket, head) => {
    const upstream = connect(targetPort, '127.0.0.1', () => {
      const lines = [`${request.method} ${request.url} HTTP/1.1`];
      for (let index = 0; index < request.rawHeaders.length; index += 2) {
        lines.push(`${request.rawHeaders[index]}: ${request.rawHeaders[index + 1]}`);
      }
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length > 0) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    const end = () => {
      upstream.destroy();
      socket.destroy();
    };
    upstream.on('error', end);
    upstream.on('close', end);
    socket.on('error', end);
    socket.on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
