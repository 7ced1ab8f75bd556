import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type ServeProcess, startServeProcess } from './test-support/serve-process.js';

describe('agent-sessions keys create|list|revoke', () => {
  let dataDir: string;
  let server: ServeProcess | undefined;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'agent-sessions-keys-'));
  });
  afterAll(async () => {
    server?.killHard();
    await rm(dataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });

  it('list on a data dir that does not exist prints a header and "no keys" and creates nothing', async () => {
    const missing = join(dataDir, 'not-there');
    const list = runCli(['keys', 'list', '--data-dir', missing]);
    expect((await list.exited).code).toBe(0);
    expect(list.stdout()).toBe('ID\tTENANT\tNAME\tCREATED\tSTATE\nno keys\n');
    expect(existsSync(missing)).toBe(false);
    const revoke = runCli(['keys', 'revoke', 'key_0123456789abcdef', '--data-dir', missing]);
    expect((await revoke.exited).code).not.toBe(0);
    expect(revoke.stderr()).toMatch(/no active key with id key_0123456789abcdef/);
    expect(existsSync(missing)).toBe(false);
  });

  it('creates a key shown once, the server requires it, list shows no secret, revoke locks it out', async () => {
    const create = runCli([
      'keys',
      'create',
      '--tenant',
      'acme',
      '--name',
      'ci',
      '--data-dir',
      dataDir,
    ]);
    expect((await create.exited).code).toBe(0);
    const key = create.stdout().trim();
    expect(key).toMatch(/^ask_[A-Za-z0-9_-]{20,}$/);
    const id = /created (key_[0-9a-f]+)/.exec(create.stderr())![1]!;

    const list = runCli(['keys', 'list', '--data-dir', dataDir]);
    expect((await list.exited).code).toBe(0);
    expect(list.stdout().split('\n')[0]).toBe('ID\tTENANT\tNAME\tCREATED\tSTATE');
    expect(list.stdout()).toContain(id);
    expect(list.stdout()).not.toContain('no keys');
    expect(list.stdout()).toContain('acme');
    expect(list.stdout()).not.toContain(key);

    const other = runCli(['keys', 'list', '--tenant', 'nobody', '--data-dir', dataDir]);
    expect((await other.exited).code).toBe(0);
    expect(other.stdout()).toBe('ID\tTENANT\tNAME\tCREATED\tSTATE\nno keys for tenant nobody\n');

    // A stored key turns auth on: anonymous requests are refused.
    server = await startServeProcess(dataDir);
    expect((await fetch(`${server.url}/v1/sessions`)).status).toBe(401);
    const withKey = await fetch(`${server.url}/v1/sessions`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(withKey.status).toBe(200);

    const revoke = runCli(['keys', 'revoke', id, '--data-dir', dataDir]);
    expect((await revoke.exited).code).toBe(0);
    const afterRevoke = await fetch(`${server.url}/v1/sessions`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(afterRevoke.status).toBe(401);
    const listed = runCli(['keys', 'list', '--tenant', 'acme', '--data-dir', dataDir]);
    await listed.exited;
    expect(listed.stdout()).toMatch(/revoked/);
  });
});
