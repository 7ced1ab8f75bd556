import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../store/memory-store.js';
import type { CommitInput, Store } from '../store/store.js';
import { createEngineHarness, type EngineHarness } from './test-support/engine-harness.js';

// The real SDK and CLI against the scripted model: the fast path of a message sent to an idle,
// warm runner commits message.queued and message.started as one commit.

let harness: EngineHarness | null = null;

afterEach(async () => {
  await harness?.cleanup();
  harness = null;
});

/** A memory store that records the entry types of every commit, in commit order. */
function recordingStore(): { store: Store; commits: string[][] } {
  const inner = createMemoryStore();
  const commits: string[][] = [];
  const store = new Proxy(inner, {
    get(target, property, receiver) {
      if (property === 'commit') {
        return async (sessionId: string, input: CommitInput) => {
          const result = await target.commit(sessionId, input);
          if (!result.duplicate) commits.push(input.entries.map((entry) => entry.type));
          return result;
        };
      }
      return Reflect.get(target, property, receiver);
    },
  });
  return { store, commits };
}

describe('a message sent to an idle warm runner', () => {
  it('is queued and started in ONE commit, durable before the ack and before the agent runs', async () => {
    const { store, commits } = recordingStore();
    harness = await createEngineHarness({ store });
    const { service } = harness;
    const session = await service.createSession('tenant-a');
    await service.sendMessage(session.id, { content: 'first' });
    await harness.waitForLog(session.id, (entries) =>
      entries.some((entry) => entry.type === 'session.status' && entry.status === 'idle'),
    );

    commits.length = 0;
    const sent = await service.sendMessage(session.id, { content: 'second' });
    // Resolved (the ack) only once the combined commit is in the store.
    const message = await store.getMessage(sent.messageId);
    expect(message?.status === 'started' || message?.status === 'completed').toBe(true);
    expect(commits[0]).toEqual(['message.queued', 'message.started', 'session.status']);

    const entries = await harness.waitForLog(
      session.id,
      (log) => log.filter((entry) => entry.type === 'turn.ended').length >= 2,
    );
    const tail = entries.filter((entry) => entry.seq > sent.seq - 1);
    const types = tail.map((entry) => entry.type);
    expect(types.slice(0, 3)).toEqual(['message.queued', 'message.started', 'session.status']);
    // Nothing the agent produced for this message precedes its message.started.
    const started = tail.find((entry) => entry.type === 'message.started');
    const firstAgent = tail.find((entry) => entry.type === 'assistant' || entry.type === 'system');
    expect(started && firstAgent && started.seq < firstAgent.seq).toBe(true);
    expect(tail.find((entry) => entry.type === 'turn.ended')?.outcome).toBe('success');
    expect(await harness.replyTo(session.id, sent.messageId)).toBe('Echo: second');
  });

  it('takes the ordinary path (queued, then started) while a turn runs, and keeps the order', async () => {
    const { store, commits } = recordingStore();
    harness = await createEngineHarness({ store });
    const { service } = harness;
    const session = await service.createSession('tenant-a');
    await service.sendMessage(session.id, { content: 'first' });
    await harness.waitForLog(session.id, (entries) =>
      entries.some((entry) => entry.type === 'session.status' && entry.status === 'idle'),
    );
    commits.length = 0;
    const slow = await service.sendMessage(session.id, { content: '[[slow:800]] slow' });
    const next = await service.sendMessage(session.id, { content: 'next' });
    expect(commits[0]).toEqual(['message.queued', 'message.started', 'session.status']);
    expect(commits[1]).toEqual(['message.queued']);
    const entries = await harness.waitForLog(
      session.id,
      (log) => log.filter((entry) => entry.type === 'turn.ended').length >= 3,
      60_000,
    );
    const started = entries
      .filter((entry) => entry.type === 'message.started')
      .map((entry) => entry.messageId);
    expect(started.slice(-2)).toEqual([slow.messageId, next.messageId]);
  });
});
