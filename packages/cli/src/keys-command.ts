import { existsSync } from 'node:fs';
import { apiKeyStorePath, createApiKeyStore } from '@agent-sessions/server';
import type { Command } from 'commander';

/**
 * `agent-sessions keys create|list|revoke`: API keys stored hashed in `<data-dir>/api-keys.db`.
 * A new key is printed once; only its id is kept in the clear. `list` prints a header line and
 * then one line per key, or `no keys`; `list` and `revoke` only read: on a data dir without a
 * key store they create nothing (no data dir, no `api-keys.db`); only `create` makes them.
 *
 * @example
 * ```sh
 * agent-sessions keys create --tenant acme --name ci
 * agent-sessions keys list --tenant acme
 * agent-sessions keys revoke key_0123456789abcdef
 * ```
 */
export function registerKeysCommand(program: Command): void {
  const keys = program
    .command('keys')
    .description('Manage API keys (stored hashed in the data dir)');
  const dataDirOption = (command: Command) =>
    command.option('--data-dir <dir>', 'data directory (env DATA_DIR, default ./data)');
  const pathOf = (dataDir: string | undefined) =>
    apiKeyStorePath(dataDir ?? process.env.DATA_DIR ?? './data');
  const open = (dataDir: string | undefined) => createApiKeyStore({ path: pathOf(dataDir) });

  dataDirOption(
    keys
      .command('create')
      .description('Create a key for a tenant and print it (once)')
      .requiredOption('--tenant <tenant>', 'the tenant the key belongs to')
      .option('--name <name>', 'a label for the key'),
  ).action((options: { tenant: string; name?: string; dataDir?: string }) => {
    const store = open(options.dataDir);
    try {
      const { key, info } = store.create(options.tenant, options.name ?? null);
      process.stdout.write(`${key}\n`);
      process.stderr.write(
        `created ${info.id} for tenant ${info.tenantId}; the key above is shown only once.\n`,
      );
    } catch (error) {
      program.error(error instanceof Error ? error.message : String(error));
    } finally {
      store.close();
    }
  });

  dataDirOption(
    keys
      .command('list')
      .description('List keys (ids, tenants, dates; never the keys)')
      .option('--tenant <tenant>', 'only this tenant'),
  ).action((options: { tenant?: string; dataDir?: string }) => {
    process.stdout.write('ID\tTENANT\tNAME\tCREATED\tSTATE\n');
    const noKeys =
      options.tenant === undefined ? 'no keys\n' : `no keys for tenant ${options.tenant}\n`;
    // Listing must not create a data dir or a key store where there was none.
    if (!existsSync(pathOf(options.dataDir))) {
      process.stdout.write(noKeys);
      return;
    }
    const store = open(options.dataDir);
    try {
      const infos = store.list(options.tenant);
      if (infos.length === 0) process.stdout.write(noKeys);
      for (const info of infos) {
        const state = info.revokedAt
          ? `revoked ${new Date(info.revokedAt).toISOString()}`
          : 'active';
        process.stdout.write(
          `${info.id}\t${info.tenantId}\t${info.name ?? ''}\t${new Date(info.createdAt).toISOString()}\t${state}\n`,
        );
      }
    } finally {
      store.close();
    }
  });

  dataDirOption(
    keys
      .command('revoke')
      .description('Revoke a key by its id')
      .argument('<id>', 'the key id (key_...)'),
  ).action((id: string, options: { dataDir?: string }) => {
    if (!existsSync(pathOf(options.dataDir))) program.error(`no active key with id ${id}`);
    const store = open(options.dataDir);
    try {
      if (!store.revoke(id)) program.error(`no active key with id ${id}`);
      process.stdout.write(`revoked ${id}\n`);
    } finally {
      store.close();
    }
  });
}
