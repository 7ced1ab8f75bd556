import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryBus } from '../bus/memory-bus.js';
import type { LogEntry } from '../store/store.js';
import { findClaudeProcesses } from '../testing/process-table.js';
import { createSessionService } from './session-service.js';
import { createEngineHarness, type EngineHarness } from './test-support/engine-harness.js';

// What happens to messages still queued when the session is reset or the engine stops: they
// are never dropped silently. The real SDK and CLI against the scripted model.

let harness: EngineHarness | null = null;

afterEach(async () => {
  await harness?.cleanup();
  harness = null;
});

const endedFor = (messageId: string) => (entries: LogEntry[]) =>
  entries.some((entry) => entry.type === 'turn.ended' && entry.messageId === messageId);

describe('queued messages', () => {
  it('a reset interrupts the running turn but the queued messages still run, in the fresh conversation', async () => {
    harness = await createEngineHarness();
    const { service, store } = harness;
    const session = await service.createSession('tenant-a');
    const before = await service.sendMessage(session.id, { content: 'before the reset' });
    await harness.waitForLog(session.id, endedFor(before.messageId));
    const slow = await service.sendMessage(session.id, { content: '[[slow:5000]] long one' });
    await harness.waitForLog(session.id, (entries) =>
      entries.some(
        (entry) => entry.type === 'message.started' && entry.messageId === slow.messageId,
      ),
    );
    const alpha = await service.sendMessage(session.id, { content: 'alpha' });
    const recall = await service.sendMessage(session.id, { content: '[[recall]]' });
    await service.reset(session.id);

    const log = await harness.waitForLog(session.id, endedFor(recall.messageId), 60_000);
    expect(log.some((entry) => entry.type === 'message.cancelled')).toBe(false);
    const ended = log.filter((entry) => entry.type === 'turn.ended');
    expect(ended.map((entry) => [entry.messageId, entry.outcome])).toEqual([
      [before.messageId, 'success'],
      [slow.messageId, 'interrupted'],
      [alpha.messageId, 'success'],
      [recall.messageId, 'success'],
    ]);
    const resetAt = log.findIndex((entry) => entry.type === 'session.reset');
    const alphaStarted = log.findIndex(
      (entry) => entry.type === 'message.started' && entry.messageId === alpha.messageId,
    );
    expect(resetAt).toBeGreaterThan(0);
    expect(alphaStarted).toBeGreaterThan(resetAt);
    // The queue survived the reset; the conversation did not: only 'alpha' is remembered.
    expect(await harness.replyTo(session.id, recall.messageId)).toBe('alpha');
    expect(await store.listMessages(session.id, 'queued')).toEqual([]);
  }, 90_000);

  it('an engine shutdown leaves queued messages queued (not cancelled); the next start runs them', async () => {
    harness = await createEngineHarness();
    const { service, store } = harness;
    const session = await service.createSession('tenant-a');
    const slow = await service.sendMessage(session.id, { content: '[[slow:5000]] long one' });
    await harness.waitForLog(session.id, (entries) =>
      entries.some(
        (entry) => entry.type === 'message.started' && entry.messageId === slow.messageId,
      ),
    );
    const waiting = await service.sendMessage(session.id, { content: 'still waiting' });
    await service.shutdown();
    expect(findClaudeProcesses()).toEqual([]);

    const log = await store.readLog(session.id);
    expect(log.some((entry) => entry.type === 'message.cancelled')).toBe(false);
    expect(log.find((entry) => entry.type === 'turn.ended')).toMatchObject({
      messageId: slow.messageId,
      outcome: 'interrupted',
    });
    expect((await store.listMessages(session.id, 'queued')).map((message) => message.id)).toEqual([
      waiting.messageId,
    ]);

    const restarted = createSessionService({
      store,
      bus: createMemoryBus(),
      workspaceRoot: harness.workspaceRoot,
      agent: { env: harness.fixture.env, permissionMode: 'default' },
      maxLive: 2,
      hibernateAfterMs: 600_000,
    });
    try {
      await restarted.start();
      await harness.waitForLog(session.id, endedFor(waiting.messageId), 60_000);
      expect(await harness.replyTo(session.id, waiting.messageId)).toBe('Echo: still waiting');
    } finally {
      await restarted.shutdown();
    }
    expect(findClaudeProcesses()).toEqual([]);
  }, 90_000);
});
