import { isIP } from 'node:net';
import { totalmem } from 'node:os';
import { MAX_BODY_BYTES, MAX_FRAME_BYTES } from '@agent-sessions/protocol';
import { z } from 'zod';

/** One API key given at start (`AGENT_SESSIONS_KEYS=tenantA:keyA,tenantB:keyB`). */
export interface StaticKey {
  tenantId: string;
  key: string;
}

/**
 * The SDK permission modes an operator may set for new sessions. Clients may pick only
 * `default`, `acceptEdits`, `plan` and `dontAsk` for their own sessions (protocol
 * `clientPermissionModeSchema`); `bypassPermissions` is for the operator alone, and as root it
 * needs IS_SANDBOX=1 (see {@link assertPermissionModeRunnable}).
 */
export const OPERATOR_PERMISSION_MODES = [
  'default',
  'acceptEdits',
  'plan',
  'dontAsk',
  'bypassPermissions',
] as const;

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

/** Keys shorter than this are accepted from the environment, with a warning at start. */
export const RECOMMENDED_KEY_LENGTH = 16;

const keysSchema = z.string().transform((value, context): StaticKey[] => {
  const keys: StaticKey[] = [];
  const fail = (problem: string) => {
    context.addIssue({
      code: 'custom',
      message: `must be tenant:key pairs separated by commas (e.g. tenantA:keyA,tenantB:keyB); ${problem}`,
    });
    return z.NEVER;
  };
  const parts = value.split(',').map((item) => item.trim());
  for (const [index, part] of parts.entries()) {
    // Positions, never the text: the text may hold a key.
    const position = `entry ${index + 1}`;
    if (part === '') return fail(`${position} is empty`);
    const colon = part.indexOf(':');
    if (colon < 0) return fail(`${position} has no ":" between tenant and key`);
    const tenantId = part.slice(0, colon).trim();
    const key = part.slice(colon + 1).trim();
    if (tenantId === '') return fail(`${position} has an empty tenant`);
    if (key === '') return fail(`${position} has an empty key`);
    if (/\s/.test(key)) return fail(`${position} has whitespace inside its key`);
    if (keys.some((known) => known.key === key)) {
      return fail(`${position} repeats a key given earlier (a key belongs to one tenant)`);
    }
    keys.push({ tenantId, key });
  }
  return keys;
});

/** The tenants whose keys from `AGENT_SESSIONS_KEYS` are shorter than {@link RECOMMENDED_KEY_LENGTH}. */
export function tenantsWithShortKeys(keys: readonly StaticKey[]): string[] {
  return keys
    .filter((entry) => entry.key.length < RECOMMENDED_KEY_LENGTH)
    .map((entry) => entry.tenantId);
}

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
  permissionMode: z.enum(OPERATOR_PERMISSION_MODES).optional(),
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

/** What each setting expects, for error messages ("PORT must be <this>, got ..."). */
const EXPECTED: Record<keyof ServerConfig, string> = {
  port: 'an integer between 0 and 65535',
  host: 'a non-empty host name or address',
  dataDir: 'a non-empty path',
  keys: 'tenant:key pairs separated by commas',
  hibernateAfterMs: 'an integer of milliseconds, 0 or more',
  unsubscribedGraceMs: 'an integer of milliseconds, 0 or more',
  maxLive: 'an integer, 1 or more',
  permissionMode: `one of ${OPERATOR_PERMISSION_MODES.join(', ')}`,
  model: 'a non-empty model name',
  anthropicApiKey: 'a non-empty API key',
  anthropicBaseUrl: 'a URL such as https://api.example.com',
  dailyBudgetUsd: 'a number of USD, 0 or more (0 = no budget)',
  rateLimitPerMinute: 'an integer, 1 or more',
  messageRateLimitPerMinute: 'an integer, 1 or more',
  maxQueuedPerSession: 'an integer, 1 or more',
  maxFrameBytes: `an integer between 64 and ${MAX_FRAME_BYTES * 16}`,
  maxBodyBytes: `an integer between 64 and ${MAX_BODY_BYTES * 16}`,
  maxClientBufferBytes: 'an integer of bytes, 1024 or more',
  clientStallTimeoutMs: 'an integer of milliseconds, 10 or more',
  turnTimeoutMs: 'an integer of milliseconds, 1 or more',
  streamTokens: 'one of 1, 0, true, false, on, off, yes, no',
  permissionTimeoutMs: 'an integer of milliseconds, 1 or more',
  metricsToken: 'a token of 16 or more characters',
  webDir: 'a non-empty path',
  shutdownTimeoutMs: 'an integer of milliseconds, 100 or more',
  logLevel: 'one of fatal, error, warn, info, debug, trace, silent',
};

/** Settings whose values are secrets: an error names them but never echoes the value. */
const SECRET_FIELDS: ReadonlySet<string> = new Set(['keys', 'anthropicApiKey', 'metricsToken']);

/** `maxLive` -> `--max-live`. */
function flagName(field: string): string {
  return `--${field.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
}

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
  const source: Record<string, string> = {};
  for (const [field, variable] of Object.entries(CONFIG_ENV)) {
    const value = env[variable];
    if (value !== undefined && value !== '') {
      raw[field] = value;
      source[field] = variable;
    }
  }
  for (const [field, value] of Object.entries(input.flags ?? {})) {
    if (value !== undefined) {
      raw[field] = value;
      source[field] = flagName(field);
    }
  }
  const parsed = serverConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = new Map<string, string>();
    for (const issue of parsed.error.issues) {
      const field = String(issue.path[0] ?? '');
      const name = source[field] ?? CONFIG_ENV[field as keyof ServerConfig] ?? field;
      if (problems.has(field)) continue;
      if (issue.code === 'custom') {
        problems.set(field, `${name} ${issue.message}`);
        continue;
      }
      const expected = EXPECTED[field as keyof ServerConfig] ?? 'a valid value';
      const got = SECRET_FIELDS.has(field) ? '' : `, got ${JSON.stringify(String(raw[field]))}`;
      problems.set(field, `${name} must be ${expected}${got}`);
    }
    throw new ConfigError(`invalid configuration:\n  ${[...problems.values()].join('\n  ')}`);
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

/**
 * Refuses a permission mode the agent's CLI would not run with: as root, the Claude CLI exits
 * at once in `bypassPermissions` unless IS_SANDBOX=1 is in its environment, so every turn would
 * fail. Better a clear start-up error than sessions that all fail.
 *
 * @example
 * ```ts
 * assertPermissionModeRunnable(config.permissionMode, { isRoot: process.getuid?.() === 0, isSandbox: process.env.IS_SANDBOX === '1' });
 * ```
 */
export function assertPermissionModeRunnable(
  mode: ServerConfig['permissionMode'],
  host: { isRoot: boolean; isSandbox: boolean },
): void {
  if (mode === 'bypassPermissions' && host.isRoot && !host.isSandbox) {
    throw new ConfigError(
      'AGENT_SESSIONS_PERMISSION_MODE=bypassPermissions needs IS_SANDBOX=1 when the server runs as root ' +
        '(the Claude CLI refuses to skip permissions as root otherwise). Set IS_SANDBOX=1 only inside a ' +
        'sandbox or container, run as a non-root user, or pick default, acceptEdits, plan or dontAsk.',
    );
  }
}
