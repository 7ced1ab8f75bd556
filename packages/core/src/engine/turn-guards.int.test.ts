import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LogEntry } from '../store/store.js';
import { createEngineHarness, type EngineHarness } from './test-support/engine-harness.js';

// Budgets, turn timing, activity and permission timeouts, with the real SDK + CLI against the
// scripted model.

let harness: EngineHarness | null = null;

afterEach(async () => {
  await harness?.cleanup();
  harness = null;
});

function ofType(entries: LogEntry[], type: string): LogEntry[] {
  return entries.filter((entry) => entry.type === type);
}

describe('checks before and around a turn', () => {
  it('checks the daily budget before each turn: messages queued in time are cancelled once it is spent', async () => {
    // Any real turn costs more than this, and nothing is spent when the messages are queued.
    const budget = 0.000_001;
    harness = await createEngineHarness({ dailyBudgetUsd: budget });
    const { service, store } = harness;
    const session = await service.createSession('tenant-a');
    const first = await service.sendMessage(session.id, {
      content: '[[slow:1500]] [[tokens:1000:500]] first',
    });
    await harness.waitForLog(
      session.id,
      (entries) => ofType(entries, 'message.started').length > 0,
    );
    expect(await store.tenantCostSince('tenant-a', 0)).toBe(0);
    const second = await service.sendMessage(session.id, { content: 'second' });
    const third = await service.sendMessage(session.id, { content: 'third' });

    const entries = await harness.waitForLog(
      session.id,
      (all) => ofType(all, 'message.cancelled').length >= 2,
      60_000,
    );
    const ended = ofType(entries, 'turn.ended');
    expect(ended.map((entry) => [entry.messageId, entry.outcome])).toEqual([
      [first.messageId, 'success'],
    ]);
    expect(ended[0]?.costUsd as number).toBeGreaterThan(budget);
    expect(await store.tenantCostSince('tenant-a', 0)).toBeGreaterThan(budget);
    expect(
      ofType(entries, 'message.cancelled').map((entry) => [entry.messageId, entry.reason]),
    ).toEqual([
      [second.messageId, 'BUDGET_EXCEEDED'],
      [third.messageId, 'BUDGET_EXCEEDED'],
    ]);
    const errors = ofType(entries, 'error');
    expect(errors.map((entry) => entry.code)).toEqual(['BUDGET_EXCEEDED', 'BUDGET_EXCEEDED']);
    expect(typeof errors[0]?.error).toBe('string');
    expect(ofType(entries, 'message.started')).toHaveLength(1);
    const cancelled = await store.listMessages(session.id, 'cancelled');
    expect(cancelled.map((message) => [message.id, message.reason])).toEqual([
      [second.messageId, 'BUDGET_EXCEEDED'],
      [third.messageId, 'BUDGET_EXCEEDED'],
    ]);
    // The model never saw the cancelled messages.
    const texts = harness.fixture.model.requests.map((request) => request.userText);
    expect(texts).not.toContain('second');
    expect(texts).not.toContain('third');
    await harness.waitForLog(
      session.id,
      (all) => all.at(-1)?.type === 'session.status' && all.at(-1)?.status === 'idle',
    );

    // Another tenant's budget is its own.
    const other = await service.createSession('tenant-b');
    await service.sendMessage(other.id, { content: 'hello' });
    const otherEntries = await harness.waitForLog(
      other.id,
      (all) => ofType(all, 'turn.ended').length === 1,
    );
    expect(ofType(otherEntries, 'turn.ended')[0]?.outcome).toBe('success');
    expect(ofType(otherEntries, 'message.cancelled')).toEqual([]);
  });

  it('measures turn.ended.durationMs from message.started, a startup in progress included', async () => {
    harness = await createEngineHarness();
    const { service, store } = harness;
    const session = await service.createSession('tenant-a');
    const seenAt = new Map<string, number>();
    const watcher = (async () => {
      for await (const entry of service.subscribe(session.id, { after: 0 })) {
        if (entry.type === 'message.started' || entry.type === 'turn.ended') {
          seenAt.set(entry.type, performance.now());
        }
        if (entry.type === 'turn.ended') return;
      }
    })();
    // The message arrives while the pre-warmed process is still starting: the user waits for
    // that start too, so it belongs to the turn's duration.
    const warming = service.warm(session.id);
    await service.sendMessage(session.id, { content: '[[slow:1000]] take your time' });
    await watcher;
    await warming;
    const entries = await store.readLog(session.id);
    const ended = ofType(entries, 'turn.ended')[0] as LogEntry;
    const result = ofType(entries, 'result')[0] as LogEntry;
    const durationMs = ended.durationMs as number;
    const observedMs =
      (seenAt.get('turn.ended') as number) - (seenAt.get('message.started') as number);
    expect(ended.outcome).toBe('success');
    expect(durationMs).toBeGreaterThanOrEqual(1000);
    expect(durationMs).toBeGreaterThanOrEqual(result.duration_ms as number);
    expect(
      Math.abs(durationMs - observedMs),
      `durationMs ${durationMs}, observed ${observedMs}`,
    ).toBeLessThan(100);
  });

  it('keeps lastActiveAt current on every message and turn, so cleanup spares active sessions', async () => {
    harness = await createEngineHarness();
    const { service, store } = harness;
    const hourAgo = Date.now() - 3_600_000;
    const session = await store.createSession({ id: randomUUID(), tenantId: 't', now: hourAgo });
    const beforeSend = Date.now();
    await service.sendMessage(session.id, { content: '[[slow:1500]] still here' });
    expect((await store.getSession(session.id))?.lastActiveAt).toBeGreaterThanOrEqual(beforeSend);
    expect(await service.cleanup(60_000)).toEqual([]);
    await harness.waitForLog(session.id, (all) => ofType(all, 'message.started').length === 1);
    const startedActive = (await store.getSession(session.id))?.lastActiveAt as number;
    expect(await service.cleanup(60_000)).toEqual([]);
    await harness.waitForLog(session.id, (all) => ofType(all, 'turn.ended').length === 1);
    const endedActive = (await store.getSession(session.id))?.lastActiveAt as number;
    expect(endedActive).toBeGreaterThanOrEqual(startedActive + 1000);
    expect(await service.cleanup(60_000)).toEqual([]);
    expect(await store.getSession(session.id)).not.toBeNull();
  });

  it('denies a permission request left unanswered past permissionTimeoutMs', async () => {
    harness = await createEngineHarness({
      permissionMode: 'default',
      allowedTools: ['Read'],
      permissionTimeoutMs: 1500,
    });
    const { service, store } = harness;
    const session = await service.createSession('tenant-a');
    const target = join(harness.workspaceRoot, session.id, 'never.txt');
    const requestedAt: number[] = [];
    const resolvedAt: number[] = [];
    const watcher = (async () => {
      for await (const entry of service.subscribe(session.id, { after: 0 })) {
        if (entry.type === 'permission.request') requestedAt.push(performance.now());
        if (entry.type === 'permission.resolved') resolvedAt.push(performance.now());
        if (entry.type === 'turn.ended') return;
      }
    })();
    await service.sendMessage(session.id, {
      content: `[[tool:Bash:${JSON.stringify({ command: `echo no > ${target}` })}]]`,
    });
    await watcher;
    const entries = await store.readLog(session.id);
    const request = ofType(entries, 'permission.request')[0] as LogEntry;
    expect(ofType(entries, 'permission.resolved')).toEqual([
      expect.objectContaining({ requestId: request.requestId, behavior: 'deny' }),
    ]);
    const waitedMs = (resolvedAt[0] as number) - (requestedAt[0] as number);
    expect(waitedMs).toBeGreaterThanOrEqual(1400);
    expect(waitedMs).toBeLessThan(5000);
    const permission = await store.getPermission(request.requestId as string);
    expect(permission?.status).toBe('deny');
    expect(permission?.message).toMatch(/timed out/);
    expect(existsSync(target)).toBe(false);
    expect(ofType(entries, 'turn.ended')[0]?.outcome).toBe('success');
    expect(
      entries.some(
        (entry) =>
          entry.type === 'user' &&
          JSON.stringify(entry.message).includes('timed out') &&
          JSON.stringify(entry.message).includes('"is_error":true'),
      ),
    ).toBe(true);
  });

  it('deleteSession removes the transcripts of every SDK conversation the session had', async () => {
    harness = await createEngineHarness();
    const { service, store } = harness;
    const session = await service.createSession('tenant-a');
    const sdkIds: string[] = [session.id];
    for (const [index, text] of ['one', 'two', 'three'].entries()) {
      if (index > 0) {
        await service.reset(session.id);
        sdkIds.push((await store.getSession(session.id))?.sdkSessionId as string);
      }
      await service.sendMessage(session.id, { content: text });
      await harness.waitForLog(session.id, (all) => ofType(all, 'turn.ended').length === index + 1);
    }
    expect(new Set(sdkIds).size).toBe(3);
    for (const sdkId of sdkIds) expect(await store.loadTranscript(sdkId, '')).not.toBeNull();

    expect(await service.deleteSession(session.id)).toBe(true);
    for (const sdkId of sdkIds) expect(await store.loadTranscript(sdkId, '')).toBeNull();
  });
});
