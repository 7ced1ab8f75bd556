import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';

export interface UnreadBodyGuardOptions {
  /** Bytes of an unread request body read and thrown away before the socket is cut. */
  maxDrainBytes?: number;
  /** How long the rest of an unread body is drained before the socket is cut. */
  lingerMs?: number;
}

function hasBody(request: IncomingMessage): boolean {
  const length = request.headers['content-length'];
  if (length !== undefined) return Number(length) > 0;
  return request.headers['transfer-encoding'] !== undefined;
}

/**
 * Wraps an HTTP request listener so a response sent before the request body was fully
 * received (413, 401, 404, 429, ... rejections that never read the body) is safe for
 * keep-alive clients such as undici/fetch:
 *
 * - the response says `Connection: close`, so the client never reuses the socket;
 * - the rest of the body is read and discarded ("lingering close") before the response is
 *   ended, so the server never closes a socket with unread data on it, which would answer the
 *   client's upload with a TCP reset and could lose the response ("other side closed").
 *
 * Draining is bounded by `maxDrainBytes` and `lingerMs`; past either, the socket is cut.
 *
 * @example
 * ```ts
 * const httpServer = createServer(guardUnreadBody(getRequestListener(app.fetch, { autoCleanupIncoming: false })));
 * ```
 */
export function guardUnreadBody(
  listener: RequestListener,
  options: UnreadBodyGuardOptions = {},
): RequestListener {
  const maxDrainBytes = options.maxDrainBytes ?? 64 * 1024 * 1024;
  const lingerMs = options.lingerMs ?? 10_000;
  return (request, response) => {
    if (hasBody(request)) watchResponse(request, response, maxDrainBytes, lingerMs);
    return listener(request, response);
  };
}

function watchResponse(
  request: IncomingMessage,
  response: ServerResponse,
  maxDrainBytes: number,
  lingerMs: number,
): void {
  // `complete` turns true once the parser has the whole body, read by the app or not; a body
  // still arriving when the answer goes out is the case to guard.
  const originalWriteHead = response.writeHead;
  response.writeHead = function writeHead(this: ServerResponse, ...args: unknown[]) {
    if (!request.complete && !response.headersSent) response.setHeader('connection', 'close');
    return (originalWriteHead as (...rest: unknown[]) => ServerResponse).apply(this, args);
  } as typeof response.writeHead;

  const originalEnd = response.end;
  response.end = function end(this: ServerResponse, ...args: unknown[]) {
    if (request.complete || request.readableEnded || request.destroyed) {
      return (originalEnd as (...rest: unknown[]) => ServerResponse).apply(this, args);
    }
    if (!response.headersSent) response.setHeader('connection', 'close');
    const [chunk] = args;
    const callback = args.find((arg) => typeof arg === 'function') as (() => void) | undefined;
    if (chunk !== undefined && chunk !== null && typeof chunk !== 'function') {
      if (!response.headersSent && !response.hasHeader('content-length')) {
        const length =
          typeof chunk === 'string' ? Buffer.byteLength(chunk) : (chunk as Uint8Array).byteLength;
        response.setHeader('content-length', length);
      }
      // The answer goes out now (Content-Length lets the client finish reading it); only the
      // end of the response waits for the body to be drained.
      response.write(chunk as string | Uint8Array);
    }
    let drained = 0;
    let finished = false;
    const finish = (cut: boolean) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onError);
      (originalEnd as (callback?: () => void) => ServerResponse).call(response, callback);
      if (cut) request.socket.destroy();
    };
    const onData = (data: Buffer) => {
      drained += data.length;
      if (drained > maxDrainBytes) finish(true);
    };
    const onEnd = () => finish(false);
    const onError = () => finish(true);
    const timer = setTimeout(() => finish(true), lingerMs);
    timer.unref();
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', onError);
    request.resume();
    return response;
  } as typeof response.end;
}
