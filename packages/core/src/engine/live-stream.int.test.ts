import { afterEach, describe, expect, it } from 'vitest';
import type { LiveStreamEvent } from './live-stream.js';
import { createEngineHarness, type EngineHarness } from './test-support/engine-harness.js';

// The real SDK and CLI against the scripted model: token-level events go live, not to the log.

let harness: EngineHarness | null = null;

afterEach(async () => {
  await harness?.cleanup();
  harness = null;
});

function textDelta(event: LiveStreamEvent): string | null {
  const inner = event.message.event as { type?: string; delta?: { type?: string; text?: string } };
  if (inner?.type !== 'content_block_delta' || inner.delta?.type !== 'text_delta') return null;
  return inner.delta.text ?? null;
}

describe('live stream events', () => {
  it('publishes text deltas live before the assistant entry commits, none in the log', async () => {
    harness = await createEngineHarness();
    const { service, store } = harness;
    const session = await service.createSession('tenant-a');
    const events: Array<{ event: LiveStreamEvent; at: number }> = [];
    const stop = await service.followStream(session.id, (event) =>
      events.push({ event, at: Date.now() }),
    );
    const committedAt = new Map<number, number>();
    const unfollow = await harness.eventLog.follow(session.id, (entries) => {
      for (const entry of entries) committedAt.set(entry.seq, Date.now());
    });
    const sent = await service.sendMessage(session.id, {
      content: '[[slow:1500]] streaming words arrive one by one',
    });
    const log = await harness.waitForLog(session.id, (entries) =>
      entries.some((entry) => entry.type === 'turn.ended'),
    );
    await stop();
    await unfollow();

    expect(log.some((entry) => entry.type === 'stream_event')).toBe(false);
    const deltas = events.filter(({ event }) => textDelta(event) !== null);
    expect(deltas.length).toBeGreaterThanOrEqual(3);
    expect(deltas.map(({ event }) => textDelta(event)).join('')).toBe(
      'Echo: streaming words arrive one by one',
    );
    // Every event is stamped with the seq the session had committed before it.
    const started = log.find((entry) => entry.type === 'message.started');
    const assistant = log.find((entry) => entry.type === 'assistant');
    expect(started && assistant).toBeTruthy();
    for (const { event } of deltas) {
      expect(event.afterSeq).toBeGreaterThanOrEqual(started!.seq);
      expect(event.afterSeq).toBeLessThan(assistant!.seq);
    }
    // Live: the first delta came well before the assistant entry was committed.
    const assistantAt = committedAt.get(assistant!.seq)!;
    expect(assistantAt - deltas[0]!.at).toBeGreaterThan(500);
    // Nothing else changed: the turn's cost and outcome are still there.
    const ended = log.find((entry) => entry.type === 'turn.ended');
    expect(ended).toMatchObject({ messageId: sent.messageId, outcome: 'success' });
    expect(ended?.costUsd).toBeGreaterThan(0);
    expect(await harness.replyTo(session.id, sent.messageId)).toBe(
      'Echo: streaming words arrive one by one',
    );
    expect((await store.getSession(session.id))?.costUsd).toBeCloseTo(ended!.costUsd as number);
  }, 60_000);

  it('publishes nothing when streamPartialMessages is false', async () => {
    harness = await createEngineHarness({ streamPartialMessages: false });
    const { service } = harness;
    const session = await service.createSession('tenant-a');
    const events: LiveStreamEvent[] = [];
    const stop = await service.followStream(session.id, (event) => events.push(event));
    await service.sendMessage(session.id, { content: '[[slow:500]] quiet please' });
    const log = await harness.waitForLog(session.id, (entries) =>
      entries.some((entry) => entry.type === 'turn.ended'),
    );
    await stop();
    expect(events).toEqual([]);
    expect(log.some((entry) => entry.type === 'assistant')).toBe(true);
  }, 60_000);
});
