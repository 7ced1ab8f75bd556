import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Store } from '@agent-sessions/core';
import {
  AgentSessionsError,
  createSessionBodySchema,
  DEFAULT_EVENTS_PAGE_LIMIT,
  DEFAULT_PAGE_LIMIT,
  describeValidationError,
  eventsQuerySchema,
  listSessionsQuerySchema,
  permissionAnswerBodySchema,
  postMessageBodySchema,
} from '@agent-sessions/protocol';
import { getRequestListener, type HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Authenticator, Principal } from './auth.js';
import { bearerToken } from './auth.js';
import type { ServerConfig } from './config.js';
import { toWireError } from './errors.js';
import type { LiveStreamSource } from './live-stream-relay.js';
import type { ServerMetrics } from './metrics.js';
import { createRateLimits } from './rate-limits.js';
import type { SessionServicePort } from './service-port.js';
import { createSessionGateway } from './session-gateway.js';
import { createSessionPresence } from './session-presence.js';
import { startSseStream } from './sse-stream.js';
import { guardUnreadBody } from './unread-body-guard.js';
import { createWebUi } from './web-ui.js';
import { toWireSession } from './wire-session.js';
import { createWsGateway } from './ws-gateway.js';

export interface ServerDependencies {
  config: ServerConfig;
  /** The session engine, already started (crash recovery done). */
  service: SessionServicePort;
  store: Store;
  authenticator: Authenticator;
  logger: Logger;
  metrics: ServerMetrics;
  /** Live token-level `stream_event`s for WS and SSE clients (the engine); null or absent: none. */
  streams?: LiveStreamSource | null;
}

export interface AgentSessionsServer {
  /** The HTTP routes as a hono app (usable without a socket: `app.request(...)`). */
  app: Hono<Environment>;
  httpServer: Server;
  /** Listens on `config.host:config.port`; resolves to the base URL. */
  listen(): Promise<string>;
  /** Graceful: stop accepting, stop the engine (turns interrupted or finished), flush, close clients with 1001. */
  shutdown(): Promise<void>;
  isShuttingDown(): boolean;
}

type Environment = { Bindings: HttpBindings; Variables: { principal: Principal } };

/** Constant-time comparison of a presented token with the configured one. */
function sameSecret(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(presented), digest(expected));
}

async function readJson<Schema extends z.ZodType>(
  context: Context<Environment>,
  schema: Schema,
  emptyAs?: unknown,
): Promise<z.infer<Schema>> {
  const text = await context.req.text();
  let value: unknown;
  if (text.trim() === '' && emptyAs !== undefined) value = emptyAs;
  else {
    try {
      value = JSON.parse(text);
    } catch {
      throw new AgentSessionsError('BAD_REQUEST', 'The body is not valid JSON.');
    }
  }
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new AgentSessionsError('BAD_REQUEST', describeValidationError(result.error, value));
  }
  return result.data;
}

function queryOf<Schema extends z.ZodType>(
  context: Context<Environment>,
  schema: Schema,
): z.infer<Schema> {
  const query = context.req.query();
  const result = schema.safeParse(query);
  if (!result.success) {
    throw new AgentSessionsError('BAD_REQUEST', describeValidationError(result.error, query));
  }
  return result.data;
}

/**
 * Builds the agent-sessions server: HTTP routes (hono), WebSocket (`ws`, noServer mode on the
 * http server's `upgrade`), SSE, auth, limits, metrics and graceful shutdown, over a started
 * session engine. `startServer()` builds the engine, store and model from a config and calls this.
 *
 * @example
 * ```ts
 * const server = createServer({ config, service, store, authenticator, logger, metrics });
 * const url = await server.listen();
 * process.once('SIGTERM', () => server.shutdown());
 * ```
 */
export function createServer(dependencies: ServerDependencies): AgentSessionsServer {
  const { config, service, store, authenticator, logger, metrics } = dependencies;
  let shuttingDown = false;
  let shutdownPromise: Promise<void> | undefined;
  const sseStreams = new Set<() => void>();

  const rateLimits = createRateLimits({
    requestsPerMinute: config.rateLimitPerMinute,
    messagesPerMinute: config.messageRateLimitPerMinute,
    onReject: (scope) => metrics.rateLimitRejections.inc({ scope }),
  });
  const gateway = createSessionGateway({
    service,
    store,
    rateLimits,
    dailyBudgetUsd: config.dailyBudgetUsd,
    onBudgetRejection: () => metrics.rateLimitRejections.inc({ scope: 'budget' }),
  });
  const presence = createSessionPresence({
    graceMs: config.unsubscribedGraceMs,
    warm: (id) => service.warm(id),
    hibernate: (id) => service.hibernate(id),
    logger,
  });

  const app = new Hono<Environment>();
  app.onError((error, context) => {
    const wire = toWireError(error, logger);
    if (wire.retryAfterMs !== undefined) {
      context.header('retry-after', String(Math.ceil(wire.retryAfterMs / 1000)));
    }
    // A 503 while draining must not leave a keep-alive socket for the client to reuse.
    if (shuttingDown) context.header('connection', 'close');
    return context.json(wire.body, wire.status as 400);
  });
  app.notFound((context) => context.json({ error: 'No such route.', code: 'NOT_FOUND' }, 404));

  app.use('*', async (context, next) => {
    const started = performance.now();
    if (shuttingDown && context.req.path !== '/healthz' && context.req.path !== '/metrics') {
      throw new AgentSessionsError('SHUTTING_DOWN', 'The server is shutting down.');
    }
    await next();
    const status = context.res.status;
    metrics.httpRequests.inc({ method: context.req.method, status: String(status) });
    if (context.req.path !== '/metrics' && context.req.path !== '/healthz') {
      logger.info(
        {
          method: context.req.method,
          path: context.req.path,
          status,
          tenantId: context.get('principal')?.tenantId,
          durationMs: Math.round(performance.now() - started),
        },
        'request',
      );
    }
  });

  app.get('/healthz', (context) => context.json({ status: 'ok' }));
  app.get('/readyz', (context) =>
    shuttingDown
      ? context.json({ error: 'The server is shutting down.', code: 'SHUTTING_DOWN' }, 503)
      : context.json({ status: 'ready', liveRunners: service.liveRunnerCount() }),
  );
  app.get('/metrics', async (context) => {
    if (
      config.metricsToken !== undefined &&
      !sameSecret(bearerToken(context.req.header('authorization')), config.metricsToken)
    ) {
      throw new AgentSessionsError(
        'UNAUTHORIZED',
        '/metrics needs Authorization: Bearer <AGENT_SESSIONS_METRICS_TOKEN>.',
      );
    }
    const text = await metrics.registry.metrics();
    return context.text(text, 200, { 'content-type': metrics.registry.contentType });
  });

  app.use('/v1/*', async (context, next) => {
    const principal = authenticator.authenticate(
      bearerToken(context.req.header('authorization')),
      context.env.incoming.socket.remoteAddress,
    );
    if (!principal) {
      throw new AgentSessionsError(
        'UNAUTHORIZED',
        'A valid API key is required (Authorization: Bearer <key>).',
      );
    }
    context.set('principal', principal);
    await rateLimits.consumeRequest(principal.keyId);
    await next();
  });
  app.use(
    '/v1/*',
    bodyLimit({
      maxSize: config.maxBodyBytes,
      onError: (context) =>
        context.json(
          {
            error: `The body is larger than the limit of ${config.maxBodyBytes} bytes.`,
            code: 'PAYLOAD_TOO_LARGE',
          },
          413,
        ),
    }),
  );

  app.post('/v1/sessions', async (context) => {
    const body = await readJson(context, createSessionBodySchema, {});
    const record = await service.createSession(context.get('principal').tenantId, {
      ...(body.title !== undefined ? { title: body.title } : {}),
      ...(body.options !== undefined ? { options: body.options } : {}),
    });
    logger.info({ tenantId: record.tenantId, sessionId: record.id }, 'session created');
    return context.json(toWireSession(record), 201);
  });
  app.get('/v1/sessions', async (context) => {
    const query = queryOf(context, listSessionsQuerySchema);
    const page = await service.listSessions(context.get('principal').tenantId, {
      cursor: query.cursor ?? null,
      limit: query.limit ?? DEFAULT_PAGE_LIMIT,
    });
    return context.json({ items: page.items.map(toWireSession), nextCursor: page.nextCursor });
  });
  app.get('/v1/sessions/:id', async (context) => {
    const record = await gateway.ownedSession(context.get('principal'), context.req.param('id'));
    return context.json(toWireSession(record));
  });
  app.delete('/v1/sessions/:id', async (context) => {
    const record = await gateway.ownedSession(context.get('principal'), context.req.param('id'));
    await service.deleteSession(record.id);
    logger.info({ tenantId: record.tenantId, sessionId: record.id }, 'session deleted');
    return context.body(null, 204);
  });
  app.post('/v1/sessions/:id/messages', async (context) => {
    const principal = context.get('principal');
    const id = context.req.param('id');
    await gateway.ownedSession(principal, id);
    const body = await readJson(context, postMessageBodySchema);
    const accepted = await gateway.sendMessage(principal, id, body);
    return context.json({ messageId: accepted.messageId, seq: accepted.seq }, 202);
  });
  app.post('/v1/sessions/:id/interrupt', async (context) => {
    const record = await gateway.ownedSession(context.get('principal'), context.req.param('id'));
    await service.interrupt(record.id);
    return context.json({}, 202);
  });
  app.post('/v1/sessions/:id/reset', async (context) => {
    const record = await gateway.ownedSession(context.get('principal'), context.req.param('id'));
    await service.reset(record.id);
    return context.json({}, 202);
  });
  app.post('/v1/sessions/:id/permissions/:requestId', async (context) => {
    const record = await gateway.ownedSession(context.get('principal'), context.req.param('id'));
    const body = await readJson(context, permissionAnswerBodySchema);
    const requestId = context.req.param('requestId');
    await service.answerPermission(record.id, requestId, {
      behavior: body.behavior,
      ...(body.message !== undefined ? { message: body.message } : {}),
    });
    return context.json({ requestId, behavior: body.behavior });
  });
  app.get('/v1/sessions/:id/events', async (context) => {
    const principal = context.get('principal');
    const record = await gateway.ownedSession(principal, context.req.param('id'));
    const query = queryOf(context, eventsQuerySchema);
    const wantsStream = (context.req.header('accept') ?? '').includes('text/event-stream');
    if (!wantsStream) {
      const limit = query.limit ?? DEFAULT_EVENTS_PAGE_LIMIT;
      const [entries, lastSeq] = await Promise.all([
        store.readLog(record.id, { after: query.after ?? 0, limit }),
        store.lastSeq(record.id),
      ]);
      return context.json({ entries, lastSeq });
    }
    const lastEventId = context.req.header('last-event-id');
    let after = query.after ?? 0;
    if (lastEventId !== undefined && lastEventId.trim() !== '') {
      if (!/^\d{1,15}$/.test(lastEventId.trim())) {
        throw new AgentSessionsError(
          'BAD_REQUEST',
          'Last-Event-ID must be a whole number (a seq).',
        );
      }
      after = Number(lastEventId.trim());
    }
    const { incoming, outgoing } = context.env;
    metrics.sseConnections.inc();
    presence.join(record.id);
    logger.info({ tenantId: principal.tenantId, sessionId: record.id, after }, 'SSE subscribed');
    const end = startSseStream({
      service,
      sessionId: record.id,
      after,
      request: incoming,
      response: outgoing,
      maxBufferedBytes: config.maxClientBufferBytes,
      stallTimeoutMs: config.clientStallTimeoutMs,
      streams: dependencies.streams ?? null,
      onStreamDropped: (count) => metrics.streamFramesDropped.inc({ transport: 'sse' }, count),
      onSlowConsumer: () => {
        metrics.slowConsumerDisconnects.inc({ transport: 'sse' });
        logger.warn({ sessionId: record.id }, 'slow SSE consumer disconnected');
      },
      onClose: () => {
        sseStreams.delete(end);
        metrics.sseConnections.dec();
        presence.leave(record.id);
      },
    });
    sseStreams.add(end);
    return RESPONSE_ALREADY_SENT;
  });

  // The web UI: static files at `/` (registered last, so every API route wins).
  const webUi = createWebUi(config.webDir ? { distDir: config.webDir } : {});
  app.get('*', async (context) => {
    const path = context.req.path;
    const isApi = /^\/(v1|ws|healthz|readyz|metrics)(\/|$)/.test(path);
    const answer = isApi ? null : await webUi.serve(path);
    if (!answer) return context.json({ error: 'No such route.', code: 'NOT_FOUND' }, 404);
    return context.body(
      typeof answer.body === 'string' ? answer.body : new Uint8Array(answer.body),
      answer.status as 200,
      answer.headers,
    );
  });

  // The guard, not @hono/node-server, deals with bodies a handler never read (413, 401, ...):
  // hono's clean-up cuts the socket after 500 ms, under a keep-alive response.
  const httpServer = createHttpServer(
    guardUnreadBody(getRequestListener(app.fetch, { autoCleanupIncoming: false }), {
      maxDrainBytes: Math.max(64 * 1024 * 1024, config.maxBodyBytes * 4),
    }),
  );
  httpServer.keepAliveTimeout = 5_000;
  const ws = createWsGateway({
    config,
    service,
    gateway,
    authenticator,
    rateLimits,
    presence,
    metrics,
    logger,
    isShuttingDown: () => shuttingDown,
    streams: dependencies.streams ?? null,
  });
  httpServer.on('upgrade', ws.handleUpgrade);
  httpServer.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
  });

  return {
    app,
    httpServer,
    isShuttingDown: () => shuttingDown,
    listen() {
      return new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(config.port, config.host, () => {
          httpServer.off('error', reject);
          const address = httpServer.address() as AddressInfo;
          const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
          resolve(`http://${host}:${address.port}`);
        });
      });
    },
    shutdown() {
      shutdownPromise ??= (async () => {
        shuttingDown = true;
        presence.clear();
        // The listener stays open while the engine stops, so a caller arriving now gets the
        // contract's 503 SHUTTING_DOWN (and upgrades a 503) instead of a refused connection.
        try {
          await service.shutdown();
        } catch (error) {
          logger.error({ err: error }, 'engine shutdown failed');
        }
        // Let the last committed entries (turn.ended of interrupted turns) reach subscribers.
        await new Promise((resolve) => setTimeout(resolve, 100));
        for (const end of [...sseStreams]) end();
        await ws.closeAll();
        // Stop accepting; requests already in flight still get an answer.
        const closed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
        httpServer.closeIdleConnections();
        const forced = setTimeout(() => httpServer.closeAllConnections(), 2_000);
        forced.unref();
        await closed;
        clearTimeout(forced);
      })();
      return shutdownPromise;
    },
  };
}
