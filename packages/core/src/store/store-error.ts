/** Why a {@link Store} refused a call. Stable: the engine maps these to protocol codes. */
export type StoreErrorCode =
  /** The session does not exist (commit, or a mutation that needs it). */
  | 'SESSION_NOT_FOUND'
  /** `createSession` with an id that is already taken. */
  | 'SESSION_EXISTS'
  /** `inbox.update` names a message that is not in this session. */
  | 'MESSAGE_NOT_FOUND'
  /** `permission.resolve` names a request that is not in this session. */
  | 'PERMISSION_NOT_FOUND'
  /**
   * A uniqueness rule was broken: a message id or `clientMessageId` already used, a permission
   * request id already used, or a permission that is already resolved.
   */
  | 'CONFLICT'
  /** The store was closed. */
  | 'STORE_CLOSED';

// A registered symbol rather than `instanceof`: a store package may bring its own copy of core.
const brand = Symbol.for('agent-sessions.store-error');

/**
 * The error every {@link Store} implementation rejects with when it refuses a call. A failed
 * call has no side effects.
 *
 * @example
 * ```ts
 * try {
 *   await store.commit('missing', { entries: [{ type: 'x' }] });
 * } catch (error) {
 *   if (StoreError.is(error) && error.code === 'SESSION_NOT_FOUND') reply404();
 * }
 * ```
 */
export class StoreError extends Error {
  override readonly name = 'StoreError';
  readonly code: StoreErrorCode;

  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    Object.defineProperty(this, brand, { value: true });
  }

  /**
   * Whether `value` is a StoreError (also one made by another copy of core).
   *
   * @example
   * ```ts
   * StoreError.is(new StoreError('CONFLICT', 'taken')); // true
   * ```
   */
  static is(value: unknown): value is StoreError {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as Record<symbol, unknown>)[brand] === true
    );
  }
}
