import type { Database } from 'better-sqlite3';
import { type Migration, migrations as shippedMigrations } from './migrations.js';

/**
 * Brings the database's schema up to date: applies, in order, every migration not yet recorded
 * in `schema_migrations`, each in its own IMMEDIATE transaction (so two processes opening the
 * same file cannot both apply one). Refuses a database that has migrations this code does not
 * know: it was written by a newer version. Returns the ids it applied.
 *
 * @example
 * ```ts
 * const db = new Database('data/agent-sessions.db');
 * migrate(db); // [1] the first time, [] afterwards
 * ```
 */
export function migrate(
  db: Database,
  migrations: readonly Migration[] = shippedMigrations,
): number[] {
  for (const [index, migration] of migrations.entries()) {
    const previous = migrations[index - 1];
    if (previous && migration.id <= previous.id) {
      throw new Error(`Migration ids must increase: ${migration.id} follows ${previous.id}.`);
    }
  }
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  )`);
  const appliedIds = (): Set<number> =>
    new Set(db.prepare('SELECT id FROM schema_migrations').pluck().all() as number[]);
  const known = new Set(migrations.map((migration) => migration.id));
  const unknown = [...appliedIds()].filter((id) => !known.has(id));
  if (unknown.length > 0) {
    throw new Error(
      `The database has migrations this version does not know (${unknown.join(', ')}): ` +
        'it was written by a newer agent-sessions.',
    );
  }
  const record = db.prepare(
    'INSERT INTO schema_migrations (id, name, applied_at) VALUES (?, ?, ?)',
  );
  const applied: number[] = [];
  for (const migration of migrations) {
    const apply = db.transaction(() => {
      if (appliedIds().has(migration.id)) return false;
      db.exec(migration.sql);
      record.run(migration.id, migration.name, Date.now());
      return true;
    });
    if (apply.immediate()) applied.push(migration.id);
  }
  return applied;
}
