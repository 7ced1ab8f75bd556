import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AgentSessionsError } from '@agent-sessions/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import type { LogEntry } from '../store/store.js';
import { findClaudeProcesses, type ProcessEntry } from '../testing/process-table.js';
import { createEngineHarness, type EngineHarness } from './test-support/engine-harness.js';

// Every test drives the real SDK and its real CLI against the scripted model.

let harness: EngineHarness | null = null;

afterEach(async () => {
  await harness?.cleanup();
  harness = null;
});

function cliProcessesOf(sessionId: string): ProcessEntry[] {
  return findClaudeProcesses().filter((entry) => entry.command.includes(sessionId));
}

function countOf(entries: LogEntry[], type: string): number {
  return entries.filter((entry) => entry.type === type).length;
}

function turnsEndedCount(count: number) {
  return (entries: LogEntry[]) => countOf(entries, 'turn.ended') >= count;
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(AgentSessionsError.is(error)).toBe(true);
  expect((error as AgentSessionsError).code).toBe(code);
}

function expectSeqWithoutGap(entries: LogEntry[]): void {
  expect(entries.map((entry) => entry.seq)).toEqual(entries.map((_, index) => index + 1));
}

describe('SessionService with the real CLI', () => {
  it('runs messages sent during a slow turn in order, each once; dedupes clientMessageId', async () => {
    harness = await createEngineHarness();
    const { service } = harness;
    const session = await service.createSession('tenant-a');
    const slow = await service.sendMessage(session.id, { content: '[[slow:1500]] first' });
    await harness.waitForLog(session.id, (entries) =>
      entries.some((entry) => entry.type === 'message.started'),
    );
    const second = await service.sendMessage(session.id, {
      content: 'second',
      clientMessageId: 'client-2',
    });
    const resend = await service.sendMessage(session.id, {
      content: 'second',
      clientMessageId: 'client-2',
    });
    const third = await service.sendMessage(session.id, { content: 'third' });
    const fourth = await service.sendMessage(session.id, { content: 'fourth' });
    expect(resend).toEqual({ messageId: second.messageId, seq: second.seq, duplicate: true });
    expect(second.duplicate).toBe(false);

    const entries = await harness.waitForLog(session.id, turnsEndedCount(4), 60_000);
    const expected = [slow, second, third, fourth].map((sent) => sent.messageId);
    const started = entries.filter((entry) => entry.type === 'message.started');
    const ended = entries.filter((entry) => entry.type === 'turn.ended');
    expect(started.map((entry) => entry.messageId)).toEqual(expected);
    expect(ended.map((entry) => entry.messageId)).toEqual(expected);
    expect(ended.map((entry) => entry.outcome)).toEqual([
      'success',
      'success',
      'success',
      'success',
    ]);
    expect(countOf(entries, 'message.queued')).toBe(4);
    expect(await harness.replyTo(session.id, second.messageId)).toBe('Echo: second');
    expect(await harness.replyTo(session.id, fourth.messageId)).toBe('Echo: fourth');
    // The model saw each user text exactly once.
    const texts = harness.fixture.model.requests
      .map((request) => request.userText)
      .filter((text): text is string => text !== undefined);
    expect(texts.filter((text) => text === 'second')).toHaveLength(1);
    expect(texts.filter((text) => text === 'third')).toHaveLength(1);
    expectSeqWithoutGap(entries);
    const inbox = await harness.store.listMessages(session.id, 'completed');
    expect(inbox.map((message) => message.id)).toEqual(expected);
  });

  it('interrupt policy interrupts the running turn, then runs; reject answers SESSION_BUSY', async () => {
    harness = await createEngineHarness();
    const { service } = harness;
    const session = await service.createSession('tenant-a');
    const slow = await service.sendMessage(session.id, { content: '[[slow:4000]] long story' });
    await harness.waitForLog(session.id, (entries) =>
      entries.some((entry) => entry.type === 'assistant' || entry.type === 'system'),
    );
    await expectCode(
      service.sendMessage(session.id, { content: 'no', policy: 'reject' }),
      'SESSION_BUSY',
    );
    const urgent = await service.sendMessage(session.id, {
      content: 'urgent',
      policy: 'interrupt',
    });
    const entries = await harness.waitForLog(session.id, turnsEndedCount(2), 30_000);
    const ended = entries.filter((entry) => entry.type === 'turn.ended');
    expect(ended.map((entry) => [entry.messageId, entry.outcome])).toEqual([
      [slow.messageId, 'interrupted'],
      [urgent.messageId, 'success'],
    ]);
    expect((ended[0]?.durationMs as number) < 4000).toBe(true);
    // The CLI keeps the interrupted prompt in the conversation: with no finished answer it
    // merges into the next user message, so the model sees both texts.
    expect(await harness.replyTo(session.id, urgent.messageId)).toMatch(/^Echo: .*urgent$/s);
    // The rejected message left no trace.
    expect(countOf(entries, 'message.queued')).toBe(2);
    // Once idle, reject is accepted.
    await harness.waitForLog(
      session.id,
      (all) => all.at(-1)?.type === 'session.status' && all.at(-1)?.status === 'idle',
    );
    const accepted = await service.sendMessage(session.id, { content: 'now', policy: 'reject' });
    expect(accepted.duplicate).toBe(false);
    await harness.waitForLog(session.id, turnsEndedCount(3));
  });

  it('runs two turns in one CLI process; hibernates on idle; resumes from the Store', async () => {
    harness = await createEngineHarness({ hibernateAfterMs: 1500 });
    const { service, store } = harness;
    const session = await service.createSession('tenant-a');
    await service.sendMessage(session.id, { content: 'alpha' });
    await harness.waitForLog(session.id, turnsEndedCount(1));
    const firstPids = cliProcessesOf(session.id).map((entry) => entry.pid);
    expect(firstPids).toHaveLength(1);
    await service.sendMessage(session.id, { content: 'beta' });
    await harness.waitForLog(session.id, turnsEndedCount(2));
    expect(cliProcessesOf(session.id).map((entry) => entry.pid)).toEqual(firstPids);

    // Idle timeout: the process goes away and the session says so.
    await harness.waitForLog(
      session.id,
      (entries) =>
        entries.some((entry) => entry.type === 'session.status' && entry.status === 'hibernated'),
      15_000,
    );
    expect(cliProcessesOf(session.id)).toEqual([]);
    expect((await store.getSession(session.id))?.status).toBe('hibernated');
    expect(service.liveRunnerCount()).toBe(0);

    const recall = await service.sendMessage(session.id, { content: '[[recall]]' });
    await harness.waitForLog(session.id, turnsEndedCount(3));
    expect(await harness.replyTo(session.id, recall.messageId)).toBe('alpha | beta');
    const resumedPids = cliProcessesOf(session.id).map((entry) => entry.pid);
    expect(resumedPids).toHaveLength(1);
    expect(resumedPids).not.toEqual(firstPids);

    // Wipe the CLI's local transcripts: the resume must come from the Store's transcript.
    await service.hibernate(session.id);
    expect(cliProcessesOf(session.id)).toEqual([]);
    await rm(harness.fixture.configDir, { recursive: true, force: true });
    const recallAgain = await service.sendMessage(session.id, { content: '[[recall]] again' });
    await harness.waitForLog(session.id, turnsEndedCount(4));
    expect(await harness.replyTo(session.id, recallAgain.messageId)).toBe(
      'alpha | beta | [[recall]]',
    );
    const ended = (await store.readLog(session.id)).filter((entry) => entry.type === 'turn.ended');
    expect(ended.map((entry) => entry.outcome)).toEqual([
      'success',
      'success',
      'success',
      'success',
    ]);
  });

  it('records each turn its own cost; the two sum to the session total', async () => {
    harness = await createEngineHarness();
    const { service, store } = harness;
    const session = await service.createSession('tenant-a');
    await service.sendMessage(session.id, { content: '[[tokens:1000:500]] one' });
    await service.sendMessage(session.id, { content: '[[tokens:1000:500]] two' });
    const entries = await harness.waitForLog(session.id, turnsEndedCount(2));
    const costs = entries
      .filter((entry) => entry.type === 'turn.ended')
      .map((entry) => entry.costUsd as number);
    const results = entries.filter((entry) => entry.type === 'result');
    // The SDK's figure is cumulative: the second result carries both turns.
    expect(results[1]?.total_cost_usd as number).toBeGreaterThan(
      results[0]?.total_cost_usd as number,
    );
    expect(costs[0]).toBeGreaterThan(0);
    expect(costs[1]).toBeCloseTo(costs[0] as number, 10);
    const record = await store.getSession(session.id);
    expect(record?.costUsd).toBeCloseTo((costs[0] as number) + (costs[1] as number), 10);
    expect(record?.costUsd).toBeCloseTo(results[1]?.total_cost_usd as number, 10);
    const turns = await store.listTurns(session.id);
    expect(turns.map((turn) => turn.usage.inputTokens)).toEqual([1000, 1000]);

    // After a hibernation the resumed process reports the saved total again: still per-turn.
    await service.hibernate(session.id);
    await service.sendMessage(session.id, { content: '[[tokens:1000:500]] three' });
    const after = await harness.waitForLog(session.id, turnsEndedCount(3));
    const third = after.filter((entry) => entry.type === 'turn.ended')[2];
    expect(third?.costUsd as number).toBeCloseTo(costs[0] as number, 10);
  });

  it('asks for tool permission: allow runs the tool, deny reports a denial', async () => {
    harness = await createEngineHarness({ permissionMode: 'default', allowedTools: ['Read'] });
    const { service, store } = harness;
    const session = await service.createSession('tenant-a');
    const workspace = join(harness.workspaceRoot, session.id);
    const allowedFile = join(workspace, 'allowed.txt');
    const deniedFile = join(workspace, 'denied.txt');

    const allowMessage = await service.sendMessage(session.id, {
      content: `[[tool:Bash:${JSON.stringify({ command: `echo yes > ${allowedFile}` })}]]`,
    });
    let entries = await harness.waitForLog(session.id, (all) =>
      all.some((entry) => entry.type === 'permission.request'),
    );
    const request = entries.find((entry) => entry.type === 'permission.request') as LogEntry;
    expect(request.toolName).toBe('Bash');
    expect((request.input as { command: string }).command).toContain('allowed.txt');
    expect((await store.getSession(session.id))?.status).toBe('waiting_permission');
    expect(
      entries.some(
        (entry) => entry.type === 'session.status' && entry.status === 'waiting_permission',
      ),
    ).toBe(true);
    await expectCode(
      service.answerPermission(session.id, 'no-such-request', { behavior: 'allow' }),
      'PERMISSION_NOT_FOUND',
    );
    await service.answerPermission(session.id, request.requestId as string, { behavior: 'allow' });
    entries = await harness.waitForLog(session.id, turnsEndedCount(1));
    expect(entries.find((entry) => entry.type === 'permission.resolved')).toMatchObject({
      requestId: request.requestId,
      behavior: 'allow',
    });
    expect(readFileSync(allowedFile, 'utf8').trim()).toBe('yes');
    expect(await harness.replyTo(session.id, allowMessage.messageId)).toContain('Tool Bash done');
    expect((await store.getPermission(request.requestId as string))?.status).toBe('allow');

    await service.sendMessage(session.id, {
      content: `[[tool:Bash:${JSON.stringify({ command: `echo no > ${deniedFile}` })}]]`,
    });
    entries = await harness.waitForLog(
      session.id,
      (all) => countOf(all, 'permission.request') === 2,
    );
    const second = entries.filter((entry) => entry.type === 'permission.request')[1] as LogEntry;
    await service.answerPermission(session.id, second.requestId as string, {
      behavior: 'deny',
      message: 'not this one',
    });
    entries = await harness.waitForLog(session.id, turnsEndedCount(2));
    expect(entries.filter((entry) => entry.type === 'permission.resolved')[1]).toMatchObject({
      requestId: second.requestId,
      behavior: 'deny',
    });
    expect(existsSync(deniedFile)).toBe(false);
    const toolResult = entries.find(
      (entry) =>
        entry.type === 'user' &&
        JSON.stringify(entry.message).includes('not this one') &&
        JSON.stringify(entry.message).includes('"is_error":true'),
    );
    expect(toolResult).toBeDefined();
  });

  it('stops a turn that exceeds the turn timeout (TURN_TIMEOUT) and runs the next', async () => {
    harness = await createEngineHarness({ turnTimeoutMs: 5000 });
    const { service } = harness;
    const session = await service.createSession('tenant-a');
    const stalled = await service.sendMessage(session.id, { content: '[[stall:40000]] hang' });
    await harness.waitForLog(session.id, turnsEndedCount(1), 30_000);
    // The CLI would carry the stalled prompt (and its directive) into the next request, since
    // the stopped turn has no answer: start a fresh conversation for the follow-up.
    await service.reset(session.id);
    const next = await service.sendMessage(session.id, { content: 'after' });
    const entries = await harness.waitForLog(session.id, turnsEndedCount(2), 30_000);
    const ended = entries.filter((entry) => entry.type === 'turn.ended');
    expect(ended.map((entry) => [entry.messageId, entry.outcome])).toEqual([
      [stalled.messageId, 'error'],
      [next.messageId, 'success'],
    ]);
    expect((ended[0]?.durationMs as number) < 15_000).toBe(true);
    expect(entries.find((entry) => entry.type === 'error')).toMatchObject({ code: 'TURN_TIMEOUT' });
    expect(await harness.replyTo(session.id, next.messageId)).toBe('Echo: after');
  });

  it('reset starts a fresh conversation; the log keeps the history', async () => {
    harness = await createEngineHarness();
    const { service, store } = harness;
    const session = await service.createSession('tenant-a');
    await service.sendMessage(session.id, { content: 'before reset' });
    await harness.waitForLog(session.id, turnsEndedCount(1));
    await service.reset(session.id);
    const record = await store.getSession(session.id);
    expect(record?.sdkStarted).toBe(false);
    expect(record?.sdkSessionId).toBeTruthy();
    expect(record?.sdkSessionId).not.toBe(session.id);
    expect(cliProcessesOf(session.id)).toEqual([]);
    const recall = await service.sendMessage(session.id, { content: '[[recall]]' });
    const entries = await harness.waitForLog(session.id, turnsEndedCount(2));
    expect(await harness.replyTo(session.id, recall.messageId)).toBe('(nothing to recall)');
    expect(countOf(entries, 'session.reset')).toBe(1);
    expect(
      entries.some((entry) => entry.type === 'message.queued' && entry.content === 'before reset'),
    ).toBe(true);
  });

  it('deleteSession stops the runner and removes the data and the workspace', async () => {
    harness = await createEngineHarness();
    const { service, store } = harness;
    const session = await service.createSession('tenant-a');
    await service.sendMessage(session.id, { content: '[[slow:3000]] busy' });
    await harness.waitForLog(session.id, (entries) => countOf(entries, 'message.started') === 1);
    const workspace = join(harness.workspaceRoot, session.id);
    expect(existsSync(workspace)).toBe(true);
    expect(await service.deleteSession(session.id)).toBe(true);
    expect(await store.getSession(session.id)).toBeNull();
    expect(existsSync(workspace)).toBe(false);
    expect(cliProcessesOf(session.id)).toEqual([]);
    await expectCode(service.sendMessage(session.id, { content: 'x' }), 'SESSION_NOT_FOUND');
  });
});
