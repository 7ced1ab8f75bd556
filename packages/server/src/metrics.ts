import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** `read()` at most once per `maxAgeMs`, one call in flight at a time; a failure is not kept. */
function cached<T>(read: () => Promise<T>, maxAgeMs: number): () => Promise<T> {
  let value: { at: number; result: T } | undefined;
  let inFlight: Promise<T> | undefined;
  return () => {
    if (value && Date.now() - value.at < maxAgeMs) return Promise.resolve(value.result);
    inFlight ??= read().then(
      (result) => {
        value = { at: Date.now(), result };
        inFlight = undefined;
        return result;
      },
      (error: unknown) => {
        inFlight = undefined;
        throw error;
      },
    );
    return inFlight;
  };
}

/** The server's Prometheus metrics, on their own registry (several servers may share a process). */
export interface ServerMetrics {
  registry: Registry;
  sessionsByStatus: Gauge<'status'>;
  liveRunners: Gauge;
  queueDepth: Gauge;
  wsConnections: Gauge;
  sseConnections: Gauge;
  turnDuration: Histogram<'outcome'>;
  firstToken: Histogram;
  costUsd: Counter;
  tokens: Counter<'kind'>;
  rateLimitRejections: Counter<'scope'>;
  slowConsumerDisconnects: Counter<'transport'>;
  streamFramesDropped: Counter<'transport'>;
  httpRequests: Counter<'method' | 'status'>;
  invalidFrames: Counter<'code'>;
}

/**
 * Creates the metrics; `collect` callbacks read current values at scrape time, so they never
 * drift: live runners exactly, sessions by status from a store count at most a few seconds old.
 *
 * @example
 * ```ts
 * const metrics = createServerMetrics({ liveRunners: () => service.liveRunnerCount() });
 * response.end(await metrics.registry.metrics());
 * ```
 */
export function createServerMetrics(sources: {
  liveRunners?: () => number;
  sessionsByStatus?: () => Promise<Record<string, number>>;
  /**
   * How long a sessions-by-status count is reused (default 5 s). Counting reads every open
   * session from the store, so scrapes (or many scrapers) must not each pay for a full scan.
   */
  sessionsByStatusMaxAgeMs?: number;
  defaultMetrics?: boolean;
}): ServerMetrics {
  const registry = new Registry();
  const countSessions = sources.sessionsByStatus
    ? cached(sources.sessionsByStatus, sources.sessionsByStatusMaxAgeMs ?? 5_000)
    : undefined;
  if (sources.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const sessionsByStatus = new Gauge({
    name: 'agent_sessions_sessions',
    help: 'Sessions by status (closed sessions excluded)',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      if (!countSessions) return;
      const counts = await countSessions();
      this.reset();
      for (const status of ['idle', 'running', 'waiting_permission', 'hibernated']) {
        this.set({ status }, counts[status] ?? 0);
      }
    },
  });
  const liveRunners = new Gauge({
    name: 'agent_sessions_live_runners',
    help: 'Live Claude CLI processes (warm runners)',
    registers: [registry],
    collect() {
      if (sources.liveRunners) this.set(sources.liveRunners());
    },
  });
  return {
    registry,
    sessionsByStatus,
    liveRunners,
    queueDepth: new Gauge({
      name: 'agent_sessions_queued_messages',
      help: 'User messages queued and not yet started, over all sessions',
      registers: [registry],
    }),
    wsConnections: new Gauge({
      name: 'agent_sessions_ws_connections',
      help: 'Open WebSocket connections',
      registers: [registry],
    }),
    sseConnections: new Gauge({
      name: 'agent_sessions_sse_connections',
      help: 'Open SSE streams',
      registers: [registry],
    }),
    turnDuration: new Histogram({
      name: 'agent_sessions_turn_duration_seconds',
      help: 'Turn duration from message.started to turn.ended',
      labelNames: ['outcome'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers: [registry],
    }),
    firstToken: new Histogram({
      name: 'agent_sessions_first_token_seconds',
      help: 'Time from message.started to the first token of the turn (its first live text delta, else its first assistant message)',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    costUsd: new Counter({
      name: 'agent_sessions_cost_usd_total',
      help: 'Cost of finished turns in US dollars',
      registers: [registry],
    }),
    tokens: new Counter({
      name: 'agent_sessions_tokens_total',
      help: 'Tokens used by finished turns',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    rateLimitRejections: new Counter({
      name: 'agent_sessions_rate_limit_rejections_total',
      help: 'Requests and frames refused by a rate limit or budget',
      labelNames: ['scope'] as const,
      registers: [registry],
    }),
    slowConsumerDisconnects: new Counter({
      name: 'agent_sessions_slow_consumer_disconnects_total',
      help: 'Clients cut because they did not read fast enough',
      labelNames: ['transport'] as const,
      registers: [registry],
    }),
    streamFramesDropped: new Counter({
      name: 'agent_sessions_stream_frames_dropped_total',
      help: 'Live token-level stream frames not sent because the client was behind (its log entries still go out)',
      labelNames: ['transport'] as const,
      registers: [registry],
    }),
    httpRequests: new Counter({
      name: 'agent_sessions_http_requests_total',
      help: 'HTTP requests by method and status',
      labelNames: ['method', 'status'] as const,
      registers: [registry],
    }),
    invalidFrames: new Counter({
      name: 'agent_sessions_invalid_frames_total',
      help: 'WebSocket frames answered with an error frame',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
  };
}
