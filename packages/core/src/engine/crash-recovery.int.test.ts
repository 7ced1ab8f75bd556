import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createSqliteStore } from '@agent-sessions/store-sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryBus } from '../bus/memory-bus.js';
import { createEventLog } from '../log/event-log.js';
import type { LogEntry, Store } from '../store/store.js';
import { createOfflineFixture, type OfflineFixture } from '../testing/offline-fixture.js';
import {
  findClaudeProcesses,
  listProcesses,
  waitForNoClaudeProcesses,
} from '../testing/process-table.js';
import { createSessionService, type SessionService } from './session-service.js';
import { assistantText } from './test-support/engine-harness.js';

const childScript = fileURLToPath(new URL('./test-support/crash-child.ts', import.meta.url));

let fixture: OfflineFixture | null = null;
let service: SessionService | null = null;
let store: Store | null = null;

afterEach(async () => {
  await service?.shutdown();
  // shutdown() resolving means the engine's processes are gone: checked at once, not polled.
  const leftAtShutdown = findClaudeProcesses();
  await store?.close();
  await waitForNoClaudeProcesses(10_000);
  await fixture?.cleanup();
  service = null;
  store = null;
  fixture = null;
  expect(leftAtShutdown).toEqual([]);
});

function replyOf(entries: LogEntry[], messageId: string): string {
  const start = entries.findIndex((e) => e.type === 'message.started' && e.messageId === messageId);
  const end = entries.findIndex((e) => e.type === 'turn.ended' && e.messageId === messageId);
  return assistantText(entries.slice(start, end));
}

describe('crash recovery', () => {
  it('reports the killed turn as interrupted, runs the queued messages, keeps seq gapless', async () => {
    fixture = await createOfflineFixture();
    const dbPath = join(fixture.root, 'engine.sqlite');
    const workspaceRoot = join(fixture.root, 'sessions');
    const spawnedAt = Date.now();
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', childScript], {
      cwd: fileURLToPath(new URL('../../../..', import.meta.url)),
      env: {
        ...process.env,
        ENGINE_CHILD_CONFIG: JSON.stringify({ dbPath, workspaceRoot, agentEnv: fixture.env }),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const report = await new Promise<{ sessionId: string; messageIds: string[] }>(
      (resolve, reject) => {
        const lines = createInterface({ input: child.stdout });
        lines.once('line', (line) => resolve(JSON.parse(line)));
        child.once('exit', (code) => reject(new Error(`child exited ${code}: ${stderr}`)));
      },
    );
    const { sessionId, messageIds } = report;
    // Kill it while the model is streaming the slow reply.
    const model = fixture.model;
    const deadline = Date.now() + 20_000;
    while (!model.requests.some((request) => request.userText?.includes('m1'))) {
      if (Date.now() > deadline) throw new Error('the slow turn never reached the model');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    child.kill('SIGKILL');
    await exited;

    // The CLI the child spawned is now an orphan: does it go away on its own?
    const orphans = () =>
      listProcesses().filter(
        (entry) => entry.command.includes(sessionId) && entry.command.includes('stream-json'),
      );
    const orphanedAtKill = orphans().map((entry) => entry.pid);
    const killedAt = Date.now();
    const orphanDeadline = killedAt + 5000;
    while (orphans().length > 0 && Date.now() < orphanDeadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const stillAlive = orphans().map((entry) => entry.pid);
    console.log(
      `crash recovery: CLI orphans at kill: ${orphanedAtKill.length}; alive after ${Date.now() - killedAt} ms: ${stillAlive.length}`,
    );
    for (const pid of stillAlive) process.kill(pid, 'SIGKILL');
    // Downtime of at least 5 s: a duration measured up to the restart would show it.
    const downtimeMs = 5000;
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, killedAt + downtimeMs - Date.now())),
    );

    // A new engine on the same file.
    store = createSqliteStore({ path: dbPath });
    const before = await store.readLog(sessionId);
    expect(before.some((entry) => entry.type === 'turn.ended')).toBe(false);
    service = createSessionService({
      store,
      bus: createMemoryBus(),
      eventLog: createEventLog({ store, bus: createMemoryBus() }),
      workspaceRoot,
      agent: { env: fixture.env, permissionMode: 'default' },
      maxLive: 2,
      hibernateAfterMs: 600_000,
    });
    const recovery = await service.start();
    expect(recovery.interruptedMessageIds).toEqual([messageIds[0]]);
    expect(recovery.sessionsWithQueue).toEqual([sessionId]);

    const waitDeadline = Date.now() + 60_000;
    let entries: LogEntry[] = [];
    for (;;) {
      entries = await store.readLog(sessionId);
      if (entries.filter((entry) => entry.type === 'turn.ended').length >= 3) break;
      if (Date.now() > waitDeadline) throw new Error('queued messages did not run after restart');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const ended = entries.filter((entry) => entry.type === 'turn.ended');
    expect(ended.map((entry) => [entry.messageId, entry.outcome, entry.reason ?? null])).toEqual([
      [messageIds[0], 'interrupted', 'process_restart'],
      [messageIds[1], 'success', null],
      [messageIds[2], 'success', null],
    ]);
    // The cut turn lasted at most from the child's spawn to the kill, never the downtime.
    const cut = ended[0]!;
    expect(typeof cut.durationMs).toBe('number');
    expect(cut.durationMs as number).toBeGreaterThanOrEqual(0);
    expect(cut.durationMs as number).toBeLessThanOrEqual(killedAt - spawnedAt);
    expect(cut.durationMs as number).toBeLessThan(3000 + 2000);
    console.log(
      `crash recovery: cut turn durationMs ${cut.durationMs} (spawn to kill ${killedAt - spawnedAt} ms, downtime >= ${downtimeMs} ms)`,
    );
    // The killed message was not run again: it started once.
    const started = entries.filter((entry) => entry.type === 'message.started');
    expect(started.map((entry) => entry.messageId)).toEqual(messageIds);
    expect(replyOf(entries, messageIds[1] as string)).toMatch(/m2$/);
    expect(replyOf(entries, messageIds[2] as string)).toBe('Echo: m3');
    expect(entries.map((entry) => entry.seq)).toEqual(entries.map((_, index) => index + 1));
    const inbox = await store.listMessages(sessionId, ['queued', 'started']);
    expect(inbox).toEqual([]);
  });
});
