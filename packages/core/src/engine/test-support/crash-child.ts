/**
 * Child process of the crash-recovery test: runs the engine on a SQLite file, queues a slow
 * message and two more, reports them on stdout (one JSON line), then keeps running until the
 * test kills it with SIGKILL.
 *
 * Run: node --conditions=source --import tsx crash-child.ts   (config in ENGINE_CHILD_CONFIG)
 */
import { createMemoryBus } from '../../bus/memory-bus.js';
import type { Store } from '../../store/store.js';
import { createSessionService } from '../session-service.js';

interface ChildConfig {
  dbPath: string;
  workspaceRoot: string;
  agentEnv: Record<string, string>;
}

// Imported by name so the core build does not depend on the SQLite package (a test-only need).
const sqlitePackage = '@agent-sessions/store-sqlite';

async function main(): Promise<void> {
  const config = JSON.parse(process.env.ENGINE_CHILD_CONFIG ?? '{}') as ChildConfig;
  const { createSqliteStore } = (await import(sqlitePackage)) as {
    createSqliteStore: (options: { path: string }) => Store;
  };
  const store = createSqliteStore({ path: config.dbPath });
  const service = createSessionService({
    store,
    bus: createMemoryBus(),
    workspaceRoot: config.workspaceRoot,
    agent: { env: config.agentEnv, permissionMode: 'default' },
    maxLive: 2,
    hibernateAfterMs: 600_000,
  });
  await service.start();
  const session = await service.createSession('tenant-crash');
  const first = await service.sendMessage(session.id, { content: '[[slow:3000]] m1' });
  const second = await service.sendMessage(session.id, { content: 'm2' });
  const third = await service.sendMessage(session.id, { content: 'm3' });
  // Report once the CLI runs the slow turn (the parent then waits for the model request).
  for (;;) {
    const log = await store.readLog(session.id);
    if (log.some((entry) => entry.type === 'system')) break;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  process.stdout.write(
    `${JSON.stringify({
      sessionId: session.id,
      messageIds: [first.messageId, second.messageId, third.messageId],
    })}\n`,
  );
  // Keep running: the parent kills us.
  setInterval(() => undefined, 60_000);
}

main().catch((error) => {
  process.stderr.write(`crash child failed: ${String(error)}\n`);
  process.exit(1);
});
