import { isIP } from 'node:net';
import { totalmem } from 'node:os';
import { MAX_BODY_BYTES, MAX_FRAME_BYTES } from '@agent-sessions/protocol';
import { z } from 'zod';

/** One API key given at start (`AGENT_SESSIONS_KEYS=tenantA:keyA,tenantB:keyB`). */
export interface StaticKey {
  tenantId: string;
  key: string;
}

const permissionModes = ['default', 'acceptEdits', 'plan', 'bypassPermissions'] as const;

/** How many CLI processes fit: about 250 MB each, leaving 2 GiB for everything else. */
export function defaultMaxLive(totalBytes: number = totalmem()): number {
  const fit = Math.floor((totalBytes - 2 * 1024 ** 3) / (250 * 1024 ** 2));
  return Math.max(1, Math.min(64, fit));
}

const integer = (minimum: number) => z.coerce.number().int().min(minimum);

/** A yes/no setting from env or flags: `1/0`, `true/false`, `on/off`, `yes/no`. */
const toggle = z.union([
  z.boolean(),
  z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(['1', '0', 'true', 'false', 'on', 'off', 'yes', 'no']))
    .transform((value) => ['1', 'true', 'on', 'yes'].includes(value)),
]);

const keysSchema = z.string().transform((value, context): StaticKey[] => {
  const keys: StaticKey[] = [];
  for (const part of value.split(',').map((item) => item.trim())) {
    if (part === '') continue;
    const colon = part.indexOf(':');
    const tenantId = part.slice(0, colon).trim();
    const key = part.slice(colon + 1).trim();
    if (colon <= 0 || tenantId === '' || key.length < 8) {
      context.addIssue({
        code: 'custom',
        message:
          'AGENT_SESSIONS_KEYS must be tenant:key pairs separated by commas, keys of 8+ characters',
      });
      return z.NEVER;
    }
    keys.push({ tenantId, key });
  }
  return keys;
});

/** The validated server configuration. */
export const serverConfigSchema = z.object({
  port: integer(0).max(65535).default(3000),
  host: z.string().min(1).default('127.0.0.1'),
  dataDir: z.string().min(1).default('./data'),
  keys: keysSchema.default([]),
  /** Idle time before a session's CLI process is closed (engine-level). */
  hibernateAfterMs: integer(0).default(600_000),
  /** How long a session stays warm after its last subscriber left (the seed's 60 s). */
  unsubscribedGraceMs: integer(0).default(60_000),
  maxLive: integer(1).default(() => defaultMaxLive()),
  permissionMode: z.enum(permissionModes).optional(),
  model: z.string().min(1).optional(),
  anthropicApiKey: z.string().min(1).optional(),
  anthropicBaseUrl: z.url().optional(),
  /** Per-tenant spend per UTC day in USD; 0 = no budget. */
  dailyBudgetUsd: z.coerce.number().min(0).default(0),
  /** Requests (HTTP requests and WebSocket frames) per key per minute. */
  rateLimitPerMinute: integer(1).default(1200),
  /** User messages per key per minute (on top of the request limit). */
  messageRateLimitPerMinute: integer(1).default(120),
  maxQueuedPerSession: integer(1).default(100),
  maxFrameBytes: integer(64)
    .max(MAX_FRAME_BYTES * 16)
    .default(MAX_FRAME_BYTES),
  maxBodyBytes: integer(64)
    .max(MAX_BODY_BYTES * 16)
    .default(MAX_BODY_BYTES),
  /** Bytes queued for one WebSocket/SSE client (socket buffer + pending) before it is cut. */
  maxClientBufferBytes: integer(1024).default(8 * 1024 * 1024),
  /** How long a client may stay over half its buffer bound before it is cut as a slow consumer. */
  clientStallTimeoutMs: integer(10).default(30_000),
  turnTimeoutMs: integer(1).optional(),
  /**
   * Stream replies token by token: the SDK's partial messages are relayed live to WebSocket
   * and SSE clients as `stream_event` frames (no seq, never in the log).
   */
  streamTokens: toggle.default(true),
  permissionTimeoutMs: integer(1).optional(),
  /**
   * When set, `GET /metrics` needs `Authorization: Bearer <token>` (API keys do not open it:
   * metrics span every tenant). Unset, `/metrics` is open like `/healthz`, for scrapers on a
   * private network.
   */
  metricsToken: z.string().min(16).optional(),
  /**
   * The built web UI served at `/` (default: `packages/web/dist` of this installation). With no
   * build there, `/` answers a page saying to run `npm run build`.
   */
  webDir: z.string().min(1).optional(),
  /** Bound on a graceful shutdown; past it the process exits anyway. */
  shutdownTimeoutMs: integer(100).default(10_000),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type ServerConfig = z.infer<typeof serverConfigSchema>;
export type ServerConfigInput = z.input<typeof serverConfigSchema>;

/** Environment variable for each config field (flags use the field names in kebab-case). */
export const CONFIG_ENV: Record<keyof ServerConfig, string> = {
  port: 'PORT',
  host: 'HOST',
  dataDir: 'DATA_DIR',
  keys: 'AGENT_SESSIONS_KEYS',
  hibernateAfterMs: 'AGENT_SESSIONS_HIBERNATE_AFTER_MS',
  unsubscribedGraceMs: 'AGENT_SESSIONS_UNSUBSCRIBED_GRACE_MS',
  maxLive: 'AGENT_SESSIONS_MAX_LIVE',
  permissionMode: 'AGENT_SESSIONS_PERMISSION_MODE',
  model: 'AGENT_SESSIONS_MODEL',
  anthropicApiKey: 'ANTHROPIC_API_KEY',
  anthropicBaseUrl: 'ANTHROPIC_BASE_URL',
  dailyBudgetUsd: 'AGENT_SESSIONS_DAILY_BUDGET_USD',
  rateLimitPerMinute: 'AGENT_SESSIONS_RATE_LIMIT_PER_MINUTE',
  messageRateLimitPerMinute: 'AGENT_SESSIONS_MESSAGE_RATE_LIMIT_PER_MINUTE',
  maxQueuedPerSession: 'AGENT_SESSIONS_MAX_QUEUED',
  maxFrameBytes: 'AGENT_SESSIONS_MAX_FRAME_BYTES',
  maxBodyBytes: 'AGENT_SESSIONS_MAX_BODY_BYTES',
  maxClientBufferBytes: 'AGENT_SESSIONS_MAX_CLIENT_BUFFER_BYTES',
  clientStallTimeoutMs: 'AGENT_SESSIONS_CLIENT_STALL_TIMEOUT_MS',
  turnTimeoutMs: 'AGENT_SESSIONS_TURN_TIMEOUT_MS',
  streamTokens: 'AGENT_SESSIONS_STREAM_TOKENS',
  permissionTimeoutMs: 'AGENT_SESSIONS_PERMISSION_TIMEOUT_MS',
  metricsToken: 'AGENT_SESSIONS_METRICS_TOKEN',
  webDir: 'AGENT_SESSIONS_WEB_DIR',
  shutdownTimeoutMs: 'AGENT_SESSIONS_SHUTDOWN_TIMEOUT_MS',
  logLevel: 'LOG_LEVEL',
};

/** Thrown for a configuration the server must not start with; the message says why. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Whether `host` binds only to the local machine. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  const bare = host.replace(/^\[|\]$/g, '');
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1';
  return false;
}

/**
 * Builds the configuration from flags (which win) and environment variables, validated.
 * Throws {@link ConfigError} with every problem listed, including the rule that a server
 * bound off-loopback needs API keys.
 *
 * @example
 * ```ts
 * const config = loadConfig({ env: process.env, flags: { port: '0' } });
 * ```
 */
export function loadConfig(
  input: {
    env?: Record<string, string | undefined>;
    flags?: Partial<Record<keyof ServerConfig, unknown>>;
  } = {},
): ServerConfig {
  const env = input.env ?? {};
  const raw: Record<string, unknown> = {};
  for (const [field, variable] of Object.entries(CONFIG_ENV)) {
    const value = env[variable];
    if (value !== undefined && value !== '') raw[field] = value;
  }
  for (const [field, value] of Object.entries(input.flags ?? {})) {
    if (value !== undefined) raw[field] = value;
  }
  const parsed = serverConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const field = String(issue.path[0] ?? '');
      const variable = CONFIG_ENV[field as keyof ServerConfig];
      return `${field}${variable ? ` (${variable})` : ''}: ${issue.message}`;
    });
    throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  return parsed.data;
}

/**
 * Refuses a server reachable from other machines with no API key: anonymous access is for
 * loopback only.
 */
export function assertSafeBinding(config: ServerConfig, hasStoredKeys: boolean): void {
  if (!isLoopbackHost(config.host) && config.keys.length === 0 && !hasStoredKeys) {
    throw new ConfigError(
      `refusing to listen on ${config.host} without API keys: anonymous access is allowed on loopback only. ` +
        'Set AGENT_SESSIONS_KEYS=tenant:key or create one with `agent-sessions keys create --tenant <name>`, ' +
        'or bind to 127.0.0.1.',
    );
  }
}
