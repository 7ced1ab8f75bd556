import type { ErrorCode } from './error-codes.js';

// A registered symbol rather than `instanceof`: two copies of this package (e.g. a bundled
// client next to a server dependency) must still recognise each other's errors.
const brand = Symbol.for('agent-sessions.error');

/** Options for {@link AgentSessionsError}. */
export interface AgentSessionsErrorOptions {
  /** Extra structured context for logs; never sent to clients by `toJSON()`. */
  details?: unknown;
  /** The underlying error, if any. */
  cause?: unknown;
}

/**
 * The one error class of agent-sessions: a human sentence plus a stable {@link ErrorCode}.
 * `toJSON()` gives exactly the wire shape `{error, code}`, so it can be sent as an HTTP error
 * body or (with `type: 'error'`) as a WebSocket frame. Mapping codes to HTTP statuses is the
 * server's job.
 *
 * @example
 * ```ts
 * throw new AgentSessionsError('SESSION_BUSY', 'The session is running a turn.');
 *
 * try { ... } catch (error) {
 *   if (AgentSessionsError.is(error)) response.end(JSON.stringify(error));
 *   // -> {"error":"The session is running a turn.","code":"SESSION_BUSY"}
 * }
 * ```
 */
export class AgentSessionsError extends Error {
  override readonly name = 'AgentSessionsError';
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, options: AgentSessionsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details;
    Object.defineProperty(this, brand, { value: true });
  }

  /** The wire shape `{error, code}`; `details` and `cause` stay server-side. */
  toJSON(): { error: string; code: ErrorCode } {
    return { error: this.message, code: this.code };
  }

  /**
   * Whether `value` is an AgentSessionsError, also one created by another copy of this package.
   *
   * @example
   * ```ts
   * AgentSessionsError.is(new AgentSessionsError('INTERNAL', 'boom')); // true
   * AgentSessionsError.is(new Error('boom')); // false
   * ```
   */
  static is(value: unknown): value is AgentSessionsError {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as Record<symbol, unknown>)[brand] === true
    );
  }
}
