import type { EngineLogger } from '@agent-sessions/core';
import pino, { type Logger } from 'pino';

/**
 * The server's JSON logger. Keys and message bodies are never logged at info: request logs
 * carry method, path, status, tenant and session ids only; `redact` is a second line of defence.
 *
 * @example
 * ```ts
 * const logger = createLogger({ level: 'info' });
 * logger.info({ tenantId, sessionId }, 'session created');
 * ```
 */
export function createLogger(options: {
  level: string;
  destination?: pino.DestinationStream;
}): Logger {
  return pino(
    {
      level: options.level,
      base: { service: 'agent-sessions' },
      redact: {
        paths: [
          'authorization',
          'token',
          'key',
          'apiKey',
          'headers.authorization',
          'content',
          'body',
        ],
        censor: '[redacted]',
      },
    },
    options.destination,
  );
}

/** Adapts pino to the engine's minimal logger interface. */
export function toEngineLogger(logger: Logger): EngineLogger {
  return {
    debug: (message, fields) => logger.debug(fields ?? {}, message),
    info: (message, fields) => logger.info(fields ?? {}, message),
    warn: (message, fields) => logger.warn(fields ?? {}, message),
    error: (message, fields) => logger.error(fields ?? {}, message),
  };
}
