import type { ApiKeyStore } from './api-key-store.js';
import { hashKey } from './api-key-store.js';
import type { StaticKey } from './config.js';

/** Who is calling: every session belongs to exactly one tenant. */
export interface Principal {
  tenantId: string;
  /** Rate limits are per key; anonymous callers share one bucket per address. */
  keyId: string;
  anonymous: boolean;
}

/** The tenant that owns every session when the server runs without keys (loopback only). */
export const ANONYMOUS_TENANT = 'local';

export interface Authenticator {
  /** Whether any key exists; without keys every caller is anonymous. */
  keysConfigured(): boolean;
  /** The principal for a bearer token, or null when keys are configured and it is not valid. */
  authenticate(token: string | undefined, remoteAddress: string | undefined): Principal | null;
}

/**
 * Resolves bearer tokens against the keys given at start and the stored keys. Keys are
 * compared by sha256 so the plain keys from the environment are not kept around.
 *
 * @example
 * ```ts
 * const auth = createAuthenticator({ staticKeys: config.keys, keyStore });
 * const principal = auth.authenticate(bearerToken(request.headers.authorization), address);
 * ```
 */
export function createAuthenticator(options: {
  staticKeys: StaticKey[];
  keyStore?: ApiKeyStore | undefined;
}): Authenticator {
  const staticByHash = new Map<string, Principal>();
  for (const [index, { tenantId, key }] of options.staticKeys.entries()) {
    staticByHash.set(hashKey(key), { tenantId, keyId: `env_${index}`, anonymous: false });
  }
  const keysConfigured = () => staticByHash.size > 0 || (options.keyStore?.totalCount() ?? 0) > 0;
  return {
    keysConfigured,
    authenticate(token, remoteAddress) {
      if (!keysConfigured()) {
        return {
          tenantId: ANONYMOUS_TENANT,
          keyId: `anon:${remoteAddress ?? ''}`,
          anonymous: true,
        };
      }
      if (!token) return null;
      const fromEnv = staticByHash.get(hashKey(token));
      if (fromEnv) return fromEnv;
      const stored = options.keyStore?.verify(token);
      return stored ? { tenantId: stored.tenantId, keyId: stored.keyId, anonymous: false } : null;
    },
  };
}

/** The token of an `Authorization: Bearer <token>` header. */
export function bearerToken(header: string | undefined | null): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}
