import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { SessionRecord } from '@agent-sessions/core';
import { AgentSessionsError, type ClientFrame, parseClientFrame } from '@agent-sessions/protocol';
import type { Logger } from 'pino';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Authenticator, Principal } from './auth.js';
import { bearerToken } from './auth.js';
import { createBatchedWriter } from './batched-writer.js';
import { CLOSE_CODES } from './close-codes.js';
import type { ServerConfig } from './config.js';
import { toWireError } from './errors.js';
import { type LiveStreamSource, startLiveStreamRelay } from './live-stream-relay.js';
import type { ServerMetrics } from './metrics.js';
import type { RateLimits } from './rate-limits.js';
import type { SessionServicePort } from './service-port.js';
import type { SessionGateway } from './session-gateway.js';
import type { SessionPresence } from './session-presence.js';
import { pumpSubscription } from './subscription-pump.js';
import { toWireSession } from './wire-session.js';

/** Frames a client may have in flight before the server answers RATE_LIMITED at once. */
const MAX_FRAMES_IN_FLIGHT = 256;

/**
 * The largest frame `ws` reads before closing the socket with 1009. Frames between the frame
 * limit (`maxFrameBytes`) and this get a PAYLOAD_TOO_LARGE error frame and the connection stays
 * open, as the contract asks; only frames past this (16 MiB) are cut, so one connection costs
 * at most this much memory for a frame in flight.
 */
export const WS_MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;

export interface WsGateway {
  /** The http server's `upgrade` listener. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  connectionCount(): number;
  /** Flushes and closes every connection with 1001. */
  closeAll(): Promise<void>;
}

function rejectUpgrade(
  socket: Duplex,
  status: number,
  body: { error: string; code: string },
  extraHeaders: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  const reason =
    {
      400: 'Bad Request',
      401: 'Unauthorized',
      404: 'Not Found',
      429: 'Too Many Requests',
      503: 'Service Unavailable',
    }[status] ?? 'Error';
  const headers = {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    connection: 'close',
    ...extraHeaders,
  };
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\n${Object.entries(headers)
      .map(([name, value]) => `${name}: ${value}`)
      .join('\r\n')}\r\n\r\n${text}`,
  );
}

/**
 * The WebSocket side of the wire contract: `GET /ws?session=<id>&after=<seq>` (no `session`
 * creates one, as the seed did), `session.ready` first, replay then live, one `ack` per durable
 * message, an `error` frame for every bad frame with the connection kept open.
 *
 * @example
 * ```ts
 * const gateway = createWsGateway({ ... });
 * httpServer.on('upgrade', gateway.handleUpgrade);
 * ```
 */
export function createWsGateway(options: {
  config: ServerConfig;
  service: SessionServicePort;
  gateway: SessionGateway;
  authenticator: Authenticator;
  rateLimits: RateLimits;
  presence: SessionPresence;
  metrics: ServerMetrics;
  logger: Logger;
  isShuttingDown: () => boolean;
  /** Live token-level `stream_event`s to relay (null: the log only). */
  streams?: LiveStreamSource | null;
}): WsGateway {
  const { config, service, metrics, logger } = options;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: Math.max(WS_MAX_PAYLOAD_BYTES, config.maxFrameBytes),
    perMessageDeflate: false,
    clientTracking: false,
    // parseClientFrame decodes strictly and answers INVALID_FRAME; ws would close with 1007.
    skipUTF8Validation: true,
  });
  const connections = new Map<WebSocket, { flush: () => void; stop: () => void }>();

  const onConnection = (ws: WebSocket, principal: Principal, url: URL) => {
    metrics.wsConnections.inc();
    const controller = new AbortController();
    let sessionId: string | undefined;
    let closed = false;
    const log = logger.child({ tenantId: principal.tenantId });

    const writer = createBatchedWriter(
      {
        write: (frame) => ws.send(frame),
        bufferedBytes: () => ws.bufferedAmount,
        socket: () => (ws as unknown as { _socket?: Socket })._socket,
      },
      { maxBufferedBytes: config.maxClientBufferBytes, onOverflow: () => cutSlow() },
    );
    const cutSlow = () => {
      if (closed) return;
      metrics.slowConsumerDisconnects.inc({ transport: 'ws' });
      log.warn({ sessionId }, 'slow WebSocket consumer disconnected');
      controller.abort();
      writer.stop();
      ws.close(CLOSE_CODES.SLOW_CONSUMER, 'SLOW_CONSUMER');
      // The close frame waits behind everything the client did not read: free it all now.
      setTimeout(() => ws.terminate(), 1000).unref();
    };
    const sendJson = (frame: object) => writer.send(JSON.stringify(frame));
    const sendError = (error: unknown, extra: Record<string, unknown> = {}) => {
      const wire = toWireError(error, log);
      metrics.invalidFrames.inc({ code: wire.body.code });
      sendJson({
        type: 'error',
        ...wire.body,
        ...(wire.retryAfterMs !== undefined ? { retryAfterMs: wire.retryAfterMs } : {}),
        ...extra,
      });
    };
    connections.set(ws, {
      flush: () => writer.flush(),
      stop: () => {
        controller.abort();
        writer.flush();
        writer.stop();
      },
    });

    ws.on('error', (error) => log.debug({ err: error, sessionId }, 'WebSocket error'));
    ws.on('close', () => {
      closed = true;
      controller.abort();
      writer.stop();
      connections.delete(ws);
      metrics.wsConnections.dec();
      if (sessionId) options.presence.leave(sessionId);
    });

    const opened = (async (): Promise<boolean> => {
      const afterParameter = url.searchParams.get('after');
      if (afterParameter !== null && !/^\d{1,15}$/.test(afterParameter)) {
        sendError(new AgentSessionsError('BAD_REQUEST', '`after` must be a whole number.'));
        writer.flush();
        ws.close(CLOSE_CODES.BAD_REQUEST, 'BAD_REQUEST');
        return false;
      }
      const after = afterParameter === null ? 0 : Number(afterParameter);
      const requested = url.searchParams.get('session');
      let record: SessionRecord;
      try {
        record =
          requested === null || requested === ''
            ? await service.createSession(principal.tenantId, {})
            : await options.gateway.ownedSession(principal, requested);
      } catch (error) {
        sendError(error);
        writer.flush();
        const notFound = AgentSessionsError.is(error) && error.code === 'SESSION_NOT_FOUND';
        ws.close(
          notFound ? CLOSE_CODES.SESSION_NOT_FOUND : 1011,
          notFound ? 'SESSION_NOT_FOUND' : 'INTERNAL',
        );
        return false;
      }
      if (closed) return false;
      sessionId = record.id;
      log.info({ sessionId, after }, 'WebSocket subscribed');
      options.presence.join(record.id);
      sendJson({ type: 'session.ready', session: toWireSession(record), lastSeq: record.lastSeq });
      const relay = options.streams
        ? startLiveStreamRelay({
            source: options.streams,
            sessionId: record.id,
            writer,
            after,
            encode: (message) => JSON.stringify(message),
            highWaterBytes: config.maxClientBufferBytes / 2,
            signal: controller.signal,
            onDropped: (count) => metrics.streamFramesDropped.inc({ transport: 'ws' }, count),
            onError: (error) => log.warn({ err: error, sessionId }, 'stream relay failed'),
          })
        : null;
      void pumpSubscription({
        service,
        sessionId: record.id,
        after,
        writer,
        signal: controller.signal,
        encode: (entry) => {
          relay?.delivered(entry.seq);
          return JSON.stringify(entry);
        },
        // The stored JSON text as it is: replay neither parses nor re-encodes an entry.
        encodeJson: (entry) => {
          relay?.delivered(entry.seq);
          return entry.json;
        },
        highWaterBytes: config.maxClientBufferBytes / 2,
        stallTimeoutMs: config.clientStallTimeoutMs,
        onStall: cutSlow,
      }).catch((error: unknown) => {
        if (closed) return;
        sendError(error);
        writer.flush();
        ws.close(1011, 'SUBSCRIPTION_FAILED');
      });
      return true;
    })();

    const handleFrame = async (frame: ClientFrame, id: string) => {
      await options.rateLimits.consumeRequest(principal.keyId);
      switch (frame.type) {
        case 'ping':
          sendJson({ type: 'pong' });
          return;
        case 'message': {
          const accepted = await options.gateway.sendMessage(principal, id, frame);
          sendJson({
            type: 'ack',
            ...(frame.clientMessageId !== undefined
              ? { clientMessageId: frame.clientMessageId }
              : {}),
            messageId: accepted.messageId,
            seq: accepted.seq,
          });
          return;
        }
        case 'interrupt':
          await options.gateway.ownedSession(principal, id);
          await service.interrupt(id);
          return;
        case 'reset':
          await options.gateway.ownedSession(principal, id);
          await service.reset(id);
          return;
        case 'permission':
          await options.gateway.ownedSession(principal, id);
          await service.answerPermission(id, frame.requestId, {
            behavior: frame.behavior,
            ...(frame.message !== undefined ? { message: frame.message } : {}),
          });
          return;
      }
    };

    let inFlight = 0;
    let chain: Promise<unknown> = opened;
    ws.on('message', (data, isBinary) => {
      if (closed) return;
      const parsed = isBinary
        ? ({
            ok: false,
            error: 'Frames must be JSON text, not binary.',
            code: 'INVALID_FRAME',
          } as const)
        : parseClientFrame(data as Buffer, { maximumBytes: config.maxFrameBytes });
      if (!parsed.ok) {
        // Answered at once: a bad frame never waits behind (or blocks) good ones.
        metrics.invalidFrames.inc({ code: parsed.code });
        sendJson({ type: 'error', error: parsed.error, code: parsed.code });
        return;
      }
      if (inFlight >= MAX_FRAMES_IN_FLIGHT) {
        sendError(
          new AgentSessionsError('RATE_LIMITED', 'Too many frames in flight; slow down.', {
            details: { retryAfterMs: 1000 },
          }),
        );
        return;
      }
      inFlight++;
      const frame = parsed.frame;
      chain = chain.then(async (ready) => {
        try {
          if (ready === false || closed || !sessionId) return ready;
          if (options.isShuttingDown() && frame.type !== 'ping') {
            throw new AgentSessionsError('SHUTTING_DOWN', 'The server is shutting down.');
          }
          await handleFrame(frame, sessionId);
        } catch (error) {
          sendError(
            error,
            frame.type === 'message' && frame.clientMessageId !== undefined
              ? { clientMessageId: frame.clientMessageId }
              : {},
          );
        } finally {
          inFlight--;
        }
        return ready;
      });
    });
  };

  return {
    handleUpgrade(request, socket, head) {
      socket.on('error', () => {});
      const url = new URL(request.url ?? '/', 'http://localhost');
      if (url.pathname !== '/ws') {
        rejectUpgrade(socket, 404, { error: 'No such route.', code: 'NOT_FOUND' });
        return;
      }
      if (options.isShuttingDown()) {
        rejectUpgrade(socket, 503, {
          error: 'The server is shutting down.',
          code: 'SHUTTING_DOWN',
        });
        return;
      }
      const token =
        bearerToken(request.headers.authorization) ?? url.searchParams.get('token') ?? undefined;
      const principal = options.authenticator.authenticate(token, request.socket.remoteAddress);
      if (!principal) {
        rejectUpgrade(socket, 401, { error: 'A valid API key is required.', code: 'UNAUTHORIZED' });
        return;
      }
      options.rateLimits.consumeRequest(principal.keyId).then(
        () => {
          wss.handleUpgrade(request, socket, head, (ws) => onConnection(ws, principal, url));
        },
        (error: unknown) => {
          const wire = toWireError(error, logger);
          rejectUpgrade(
            socket,
            wire.status,
            wire.body,
            wire.retryAfterMs !== undefined
              ? { 'retry-after': String(Math.ceil(wire.retryAfterMs / 1000)) }
              : {},
          );
        },
      );
    },
    connectionCount: () => connections.size,
    async closeAll() {
      const closing: Promise<void>[] = [];
      for (const [ws, connection] of connections) {
        connection.stop();
        closing.push(
          new Promise((resolve) => {
            ws.once('close', () => resolve());
            ws.close(CLOSE_CODES.GOING_AWAY, 'server shutting down');
            setTimeout(() => {
              ws.terminate();
              resolve();
            }, 1000).unref();
          }),
        );
      }
      await Promise.all(closing);
    },
  };
}
