/**
 * The agent-sessions server: REST + WebSocket + SSE on the wire contract (docs/protocol.md),
 * with API keys and tenancy, limits, metrics and a graceful shutdown.
 *
 * @example
 * ```ts
 * import { loadConfig, startServer } from '@agent-sessions/server';
 * const running = await startServer(loadConfig({ env: process.env }));
 * ```
 *
 * @packageDocumentation
 */
export type { ApiKeyInfo, ApiKeyStore } from './api-key-store.js';
export { createApiKeyStore, hashKey } from './api-key-store.js';
export type { Authenticator, Principal } from './auth.js';
export { ANONYMOUS_TENANT, bearerToken, createAuthenticator } from './auth.js';
export { CLOSE_CODES } from './close-codes.js';
export type { ServerConfig, ServerConfigInput, StaticKey } from './config.js';
export {
  assertPermissionModeRunnable,
  assertSafeBinding,
  CONFIG_ENV,
  ConfigError,
  defaultMaxLive,
  isLoopbackHost,
  loadConfig,
  OPERATOR_PERMISSION_MODES,
  serverConfigSchema,
} from './config.js';
export type { AgentSessionsServer, ServerDependencies } from './create-server.js';
export { createServer } from './create-server.js';
export { httpStatusFor } from './http-status.js';
export { createLogger } from './logger.js';
export type { ServerMetrics } from './metrics.js';
export { createServerMetrics } from './metrics.js';
export type { SessionServicePort } from './service-port.js';
export { formatSseEvent } from './sse-stream.js';
export type { RunningServer, StartServerOptions } from './start-server.js';
export { apiKeyStorePath, startServer } from './start-server.js';
