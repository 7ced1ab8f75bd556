import { describe, expect, it } from 'vitest';
import { findClaudeProcesses } from '../testing/index.js';
import { setupOfflineAgentClient } from './test-support/offline-agent-client.js';

const offline = setupOfflineAgentClient();

/** The `messages` the scripted model received for the request whose user text is `userText`. */
function requestMessages(sessionId: string | undefined, userText: string): string {
  const request = offline.fixture.model.requests.find(
    (entry) => entry.sessionId === sessionId && entry.userText === userText,
  );
  expect(request, `a recorded request for ${userText}`).toBeDefined();
  return JSON.stringify((request!.body as { messages: unknown[] }).messages);
}

describe('createConversation', () => {
  it('resume mode: turn 2 resumes the session, its request carries turn 1, [[recall]] answers it', async () => {
    const conversation = offline.client.createConversation();
    const first = await conversation.send('the password is swordfish');
    expect(first.isError).toBe(false);
    expect(conversation.sessionId).toBe(first.sessionId);
    const second = await conversation.send('[[recall]]');
    expect(second.isError).toBe(false);
    expect(second.sessionId).toBe(first.sessionId);
    expect(second.text).toBe('the password is swordfish');
    const carried = requestMessages(second.sessionId, '[[recall]]');
    expect(carried).toContain('the password is swordfish');
    expect(carried).toContain('Echo: the password is swordfish');
    // total_cost_usd is cumulative over the resumed session; costUsd is this turn's share.
    expect(second.costUsd).toBeGreaterThan(0);
    expect(second.totalCostUsd).toBeCloseTo(first.totalCostUsd + second.costUsd, 10);

    await conversation.reset();
    expect(conversation.sessionId).toBeUndefined();
    const fresh = await conversation.send('[[recall]]');
    expect(fresh.sessionId).not.toBe(first.sessionId);
    expect(fresh.text).toBe('(nothing to recall)');
  });

  it('streaming mode: one CLI process serves both turns, with the history', async () => {
    const conversation = offline.client.createConversation({ mode: 'streaming' });
    try {
      const firstTurn = conversation.startTurn('my favourite colour is teal');
      const first = await firstTurn.result;
      expect(first.isError).toBe(false);
      const pid = conversation.stream?.pid;
      expect(pid).toBeTypeOf('number');
      expect(findClaudeProcesses().map((entry) => entry.pid)).toEqual([pid]);

      const second = await conversation.send('[[recall]]');
      expect(second.isError).toBe(false);
      expect(second.text).toBe('my favourite colour is teal');
      expect(conversation.stream?.pid).toBe(pid);
      expect(findClaudeProcesses().map((entry) => entry.pid)).toEqual([pid]);
      expect(second.sessionId).toBe(first.sessionId);
      expect(requestMessages(second.sessionId, '[[recall]]')).toContain(
        'Echo: my favourite colour is teal',
      );
      // Per-turn cost out of the cumulative total of the one query.
      expect(second.costUsd).toBeGreaterThan(0);
      expect(second.totalCostUsd).toBeCloseTo(first.totalCostUsd + second.costUsd, 10);
    } finally {
      await conversation.close();
    }
    expect(findClaudeProcesses()).toEqual([]);
  });

  it('streaming mode: an interrupted turn keeps the process; a closed process is replaced and resumes', async () => {
    const conversation = offline.client.createConversation({ mode: 'streaming' });
    try {
      await conversation.send('remember the number 42');
      const pid = conversation.stream?.pid;
      const slow = conversation.startTurn('[[slow:3000]] tell me everything');
      setTimeout(() => void slow.interrupt(), 400);
      const interrupted = await slow.result;
      expect(interrupted.terminalReason).toBe('aborted_streaming');
      expect(conversation.stream?.pid).toBe(pid);

      const stalled = conversation.startTurn('[[stall:60000]] hello?');
      setTimeout(() => stalled.abort(), 400);
      const aborted = await stalled.result;
      expect(aborted.isError).toBe(true);
      expect(aborted.stoppedBy).toBe('abort');
      expect(findClaudeProcesses()).toEqual([]);

      const recalled = await conversation.send('[[recall]]');
      expect(recalled.isError).toBe(false);
      expect(recalled.text).toContain('remember the number 42');
      expect(conversation.stream?.pid).not.toBe(pid);
    } finally {
      await conversation.close();
    }
  });
});
