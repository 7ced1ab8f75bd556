import { apiKeyStorePath, createApiKeyStore } from '@agent-sessions/server';
import type { Command } from 'commander';

/**
 * `agent-sessions keys create|list|revoke`: API keys stored hashed in `<data-dir>/api-keys.db`.
 * A new key is printed once; only its id is kept in the clear.
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
  const open = (dataDir: string | undefined) =>
    createApiKeyStore({ path: apiKeyStorePath(dataDir ?? process.env.DATA_DIR ?? './data') });

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
    const store = open(options.dataDir);
    try {
      for (const info of store.list(options.tenant)) {
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
    const store = open(options.dataDir);
    try {
      if (!store.revoke(id)) program.error(`no active key with id ${id}`);
      process.stdout.write(`revoked ${id}\n`);
    } finally {
      store.close();
    }
  });
}
