import { randomUUID } from 'node:crypto';
import { startup as sdkStartup } from '@anthropic-ai/claude-agent-sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryBus } from '../bus/memory-bus.js';
import { createEventLog, type EventLog } from '../log/event-log.js';
import { createTranscriptSessionStore } from '../log/transcript-session-store.js';
import { createMemoryStore } from '../store/memory-store.js';
import type { LogEntry, Store } from '../store/store.js';
import { createOfflineFixture, type OfflineFixture } from '../testing/offline-fixture.js';
import { findClaudeProcesses, waitForNoClaudeProcesses } from '../testing/process-table.js';
import { createRunner, type Runner } from './runner.js';
import { buildSdkOptions } from './sdk-options.js';
import { createEngineHarness, type EngineHarness } from './test-support/engine-harness.js';

// No CLI process outlives close()/shutdown(), whatever was in flight: a turn, a warm-up, a turn
// waiting for a warm-up, queued messages. Checked the moment close resolves, without polling:
// the engine promises the processes are gone, not that they will be. Real SDK and CLI.

let fixture: OfflineFixture | null = null;
let runner: Runner | null = null;
let harness: EngineHarness | null = null;

afterEach(async () => {
  await runner?.close();
  const leftAtClose = findClaudeProcesses();
  await harness?.cleanup();
  await waitForNoClaudeProcesses(10_000);
  await fixture?.cleanup();
  runner = null;
  harness = null;
  fixture = null;
  expect(leftAtClose).toEqual([]);
});

async function queueMessage(eventLog: EventLog, sessionId: string, content: string) {
  const id = randomUUID();
  await eventLog.append(sessionId, {
    entries: [{ type: 'message.queued', messageId: id, content, policy: 'enqueue' }],
    mutations: [
      {
        kind: 'inbox.insert',
        message: { id, clientMessageId: null, content, policy: 'enqueue', createdAt: Date.now() },
      },
    ],
  });
  return id;
}

async function waitForLog(store: Store, sessionId: string, predicate: (e: LogEntry[]) => boolean) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const entries = await store.readLog(sessionId);
    if (predicate(entries)) return entries;
    if (Date.now() > deadline) throw new Error(`timed out; log: ${entries.map((e) => e.type)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A runner whose SDK `startup()` (the real one) resolves only once `release()` is called. */
async function createGatedRunner() {
  fixture = await createOfflineFixture();
  const store = createMemoryStore();
  const eventLog = createEventLog({ store, bus: createMemoryBus() });
  const session = await store.createSession({ id: randomUUID(), tenantId: 't' });
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let startups = 0;
  const env = fixture.env;
  const cwd = fixture.workspace;
  runner = createRunner({
    sessionId: session.id,
    store,
    eventLog,
    sessionStore: createTranscriptSessionStore(store),
    sdkOptions: () => buildSdkOptions({ env, permissionMode: 'default' }, {}, cwd),
    startup: async (params) => {
      startups++;
      const warm = await sdkStartup(params);
      await gate;
      return warm;
    },
  });
  return { store, eventLog, session, runner, release, startups: () => startups };
}

describe('shutdown leaves no CLI process', () => {
  it('close() while the first turn waits for an in-flight warm-up: no process is started after close, none survives it', async () => {
    const { store, eventLog, session, runner, release, startups } = await createGatedRunner();
    const warming = runner.warm();
    const first = await queueMessage(eventLog, session.id, '[[slow:4000]] first');
    const second = await queueMessage(eventLog, session.id, 'second');
    runner.wake();
    // The turn has started and is waiting for the warm-up (the startup() gate is still shut).
    await waitForLog(store, session.id, (entries) =>
      entries.some((entry) => entry.type === 'message.started' && entry.messageId === first),
    );
    expect(startups()).toBe(1);

    const closing = runner.close({ status: 'hibernated' });
    release();
    await closing;
    expect(findClaudeProcesses()).toEqual([]);

    expect(await warming).toBe(false);
    expect(runner.isLive()).toBe(false);
    const log = await store.readLog(session.id);
    expect(
      log
        .filter((entry) => entry.type === 'turn.ended')
        .map((entry) => [entry.messageId, entry.outcome, entry.reason]),
    ).toEqual([[first, 'interrupted', 'shutdown']]);
    expect((await store.listMessages(session.id, 'queued')).map((message) => message.id)).toEqual([
      second,
    ]);
    expect(fixture?.model.requests.some((request) => request.userText?.includes('first'))).toBe(
      false,
    );
  });

  it('close() during a warm-up with no turn waits for the warmed process to exit', async () => {
    const { session, runner, release } = await createGatedRunner();
    const warming = runner.warm();
    // startup() has spawned its CLI (and is held at the gate).
    const deadline = Date.now() + 30_000;
    while (!findClaudeProcesses().some((entry) => entry.command.includes(session.id))) {
      if (Date.now() > deadline) throw new Error('the warm-up never spawned a CLI');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const closing = runner.close({ status: 'hibernated' });
    release();
    await closing;
    expect(findClaudeProcesses()).toEqual([]);
    expect(await warming).toBe(false);
  });

  it('service shutdown while a client-style warm-up races the first turn and a message is queued', async () => {
    harness = await createEngineHarness({ maxLive: 2 });
    const { service, store } = harness;
    const session = await service.createSession('tenant-a');
    // What the server does when a client opens a session, then the client types at once.
    const warmed = service.warm(session.id).catch(() => false);
    const slow = await service.sendMessage(session.id, { content: '[[slow:4000]] long one' });
    await harness.waitForLog(session.id, (entries) =>
      entries.some(
        (entry) => entry.type === 'message.started' && entry.messageId === slow.messageId,
      ),
    );
    const waiting = await service.sendMessage(session.id, { content: 'still waiting' });

    await service.shutdown();
    expect(findClaudeProcesses()).toEqual([]);
    await warmed;
    expect(findClaudeProcesses()).toEqual([]);
    expect((await store.listMessages(session.id, 'queued')).map((message) => message.id)).toEqual([
      waiting.messageId,
    ]);
    const ended = (await store.readLog(session.id)).filter((entry) => entry.type === 'turn.ended');
    expect(ended.map((entry) => [entry.messageId, entry.outcome])).toEqual([
      [slow.messageId, 'interrupted'],
    ]);
  });

  it('service shutdown during a running turn (the process is answering) with messages queued', async () => {
    harness = await createEngineHarness({ maxLive: 2 });
    const { service, store } = harness;
    const session = await service.createSession('tenant-a');
    const slow = await service.sendMessage(session.id, { content: '[[slow:4000]] long one' });
    // The model has been asked: the turn runs in a live CLI.
    const deadline = Date.now() + 30_000;
    while (!harness.fixture.model.requests.some((r) => r.userText?.includes('long one'))) {
      if (Date.now() > deadline) throw new Error('the turn never reached the model');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const queued = [
      await service.sendMessage(session.id, { content: 'queued one' }),
      await service.sendMessage(session.id, { content: 'queued two' }),
    ];
    expect(findClaudeProcesses().some((entry) => entry.command.includes(session.id))).toBe(true);

    await service.shutdown();
    expect(findClaudeProcesses()).toEqual([]);
    expect((await store.listMessages(session.id, 'queued')).map((message) => message.id)).toEqual(
      queued.map((message) => message.messageId),
    );
    expect(service.liveRunnerCount()).toBe(0);
    const ended = (await store.readLog(session.id)).filter((entry) => entry.type === 'turn.ended');
    expect(ended.map((entry) => [entry.messageId, entry.outcome])).toEqual([
      [slow.messageId, 'interrupted'],
    ]);
  });
});
