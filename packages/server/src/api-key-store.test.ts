import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApiKeyStore } from './api-key-store.js';
import { createAuthenticator } from './auth.js';

describe('createApiKeyStore', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('stores only a hash, verifies, lists without secrets, revokes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keys-'));
    dirs.push(dir);
    const path = join(dir, 'api-keys.db');
    const store = createApiKeyStore({ path });
    const { key, info } = store.create('acme', 'ci');
    expect(store.verify(key)).toEqual({ tenantId: 'acme', keyId: info.id });
    expect(store.verify(`${key}x`)).toBeNull();
    expect(JSON.stringify(store.list())).not.toContain(key);
    expect(store.activeCount()).toBe(1);
    store.close();
    expect(readFileSync(path).includes(Buffer.from(key))).toBe(false);

    const reopened = createApiKeyStore({ path });
    expect(reopened.revoke(info.id)).toBe(true);
    expect(reopened.revoke(info.id)).toBe(false);
    expect(reopened.verify(key)).toBeNull();
    expect(reopened.activeCount()).toBe(0);
    // Revoking the last key locks the server; it never falls back to anonymous access.
    const auth = createAuthenticator({ staticKeys: [], keyStore: reopened });
    expect(auth.authenticate(undefined, '127.0.0.1')).toBeNull();
    expect(auth.authenticate(key, '127.0.0.1')).toBeNull();
    reopened.close();
  });

  it('the authenticator is anonymous without keys and strict with them', () => {
    const open = createAuthenticator({ staticKeys: [] });
    expect(open.authenticate(undefined, '127.0.0.1')).toMatchObject({ anonymous: true });
    const strict = createAuthenticator({ staticKeys: [{ tenantId: 't', key: 'secret-key-1' }] });
    expect(strict.authenticate(undefined, '127.0.0.1')).toBeNull();
    expect(strict.authenticate('wrong', '127.0.0.1')).toBeNull();
    expect(strict.authenticate('secret-key-1', '127.0.0.1')).toMatchObject({
      tenantId: 't',
      anonymous: false,
    });
  });
});
