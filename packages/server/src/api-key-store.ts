import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

/** A stored key as listed: never the key itself, which is shown once at creation. */
export interface ApiKeyInfo {
  id: string;
  tenantId: string;
  name: string | null;
  createdAt: number;
  revokedAt: number | null;
}

export interface ApiKeyStore {
  /** Creates a key for `tenantId`; the returned `key` is the only time it is visible. */
  create(tenantId: string, name?: string | null): { key: string; info: ApiKeyInfo };
  list(tenantId?: string): ApiKeyInfo[];
  /** Revokes by key id; false when no active key has that id. */
  revoke(id: string): boolean;
  /** The tenant of an active key, or null. */
  verify(key: string): { tenantId: string; keyId: string } | null;
  /** Number of active keys. */
  activeCount(): number;
  /**
   * Number of keys ever created, revoked ones included. Auth stays on once a key existed:
   * revoking the last key must lock the server, never open it to anonymous callers.
   */
  totalCount(): number;
  close(): void;
}

/** sha256 of a key: keys are high-entropy random strings, so a plain hash is enough at rest. */
export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

interface KeyRow {
  id: string;
  tenant_id: string;
  name: string | null;
  hash: string;
  created_at: number;
  revoked_at: number | null;
}

function toInfo(row: KeyRow): ApiKeyInfo {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    name: row.name,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  };
}

/**
 * API keys in their own SQLite file (`<dataDir>/api-keys.db`), stored as sha256 hashes with a
 * public key id. The event Store has no keys table yet; this keeps key management inside the
 * server package until it does.
 *
 * @example
 * ```ts
 * const keys = createApiKeyStore({ path: './data/api-keys.db' });
 * const { key } = keys.create('acme');
 * keys.verify(key); // { tenantId: 'acme', keyId: 'key_...' }
 * ```
 */
export function createApiKeyStore(options: { path: string }): ApiKeyStore {
  mkdirSync(dirname(options.path), { recursive: true });
  const database = new Database(options.path);
  database.pragma('journal_mode = WAL');
  database.exec(`CREATE TABLE IF NOT EXISTS api_keys (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    name TEXT,
    hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
  )`);
  const insert = database.prepare(
    'INSERT INTO api_keys (id, tenant_id, name, hash, created_at) VALUES (?, ?, ?, ?, ?)',
  );
  const byHash = database.prepare('SELECT * FROM api_keys WHERE hash = ? AND revoked_at IS NULL');
  const listAll = database.prepare('SELECT * FROM api_keys ORDER BY created_at, id');
  const listTenant = database.prepare(
    'SELECT * FROM api_keys WHERE tenant_id = ? ORDER BY created_at, id',
  );
  const revoke = database.prepare(
    'UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL',
  );
  const countAll = database.prepare('SELECT COUNT(*) AS count FROM api_keys');
  const countActive = database.prepare(
    'SELECT COUNT(*) AS count FROM api_keys WHERE revoked_at IS NULL',
  );

  return {
    create(tenantId, name = null) {
      if (!/^[A-Za-z0-9._-]{1,100}$/.test(tenantId)) {
        throw new Error('tenant must be 1-100 characters of letters, digits, ".", "_" or "-"');
      }
      const id = `key_${randomBytes(8).toString('hex')}`;
      const key = `ask_${randomBytes(24).toString('base64url')}`;
      const createdAt = Date.now();
      insert.run(id, tenantId, name, hashKey(key), createdAt);
      return { key, info: { id, tenantId, name, createdAt, revokedAt: null } };
    },
    list(tenantId) {
      const rows = (tenantId ? listTenant.all(tenantId) : listAll.all()) as KeyRow[];
      return rows.map(toInfo);
    },
    revoke(id) {
      return revoke.run(Date.now(), id).changes > 0;
    },
    verify(key) {
      const hash = hashKey(key);
      const row = byHash.get(hash) as KeyRow | undefined;
      if (!row) return null;
      // The lookup is by hash already; the comparison guards against a collation surprise.
      if (!timingSafeEqual(Buffer.from(row.hash), Buffer.from(hash))) return null;
      return { tenantId: row.tenant_id, keyId: row.id };
    },
    activeCount() {
      return (countActive.get() as { count: number }).count;
    },
    totalCount() {
      return (countAll.get() as { count: number }).count;
    },
    close() {
      database.close();
    },
  };
}
