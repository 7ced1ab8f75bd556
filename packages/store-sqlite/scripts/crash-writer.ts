/**
 * Test fixture for the crash test in src/sqlite-store.int.test.ts: commits to one session from
 * 8 concurrent writers forever and prints each acknowledged seq, until it is killed.
 *
 *   node --conditions=source --import tsx scripts/crash-writer.ts <db path> <FULL|NORMAL>
 */
import { createSqliteStore } from '../src/sqlite-store.js';

const [path, synchronous] = process.argv.slice(2);
if (!path) throw new Error('usage: crash-writer.ts <db path> [FULL|NORMAL]');
const store = createSqliteStore({
  path,
  synchronous: synchronous === 'NORMAL' ? 'NORMAL' : 'FULL',
});
await store.createSession({ id: 'crash', tenantId: 't' });
process.stdout.write('ready\n');
await Promise.all(
  Array.from({ length: 8 }, async (_, writer) => {
    for (let index = 0; ; index += 1) {
      const { entries } = await store.commit('crash', {
        entries: [{ type: 'w', writer, index, padding: 'x'.repeat(500) }],
      });
      // Printed only after the commit resolved: every printed seq must survive the kill.
      process.stdout.write(`${entries[0]!.seq}\n`);
    }
  }),
);
