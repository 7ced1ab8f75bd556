import type { LogEntry } from '@agent-sessions/protocol';
import { describe, expect, it } from 'vitest';
import {
  applyLogEntry,
  applyStreamEvent,
  assembleConversation,
  createConversationView,
} from './assemble-conversation.js';

// Entries shaped like a real session log: server events plus verbatim SDK messages.
function toolTurnLog(): LogEntry[] {
  const raw: Array<Record<string, unknown>> = [
    {
      type: 'message.queued',
      messageId: 'm1',
      clientMessageId: 'c1',
      content: 'Run it',
      policy: 'enqueue',
    },
    { type: 'message.started', messageId: 'm1' },
    { type: 'session.status', status: 'running' },
    { type: 'system', subtype: 'init', session_id: 's' },
    {
      type: 'assistant',
      message: {
        id: 'a1',
        content: [{ type: 'tool_use', id: 'tu1', name: 'Bash', input: { command: 'echo hi' } }],
      },
      parent_tool_use_id: null,
    },
    {
      type: 'permission.request',
      requestId: 'p1',
      toolName: 'Bash',
      input: { command: 'echo hi' },
    },
    { type: 'session.status', status: 'waiting_permission' },
    {
      type: 'message.queued',
      messageId: 'm2',
      content: [{ type: 'text', text: 'Next' }],
      policy: 'enqueue',
    },
    { type: 'permission.resolved', requestId: 'p1', behavior: 'allow' },
    {
      type: 'user',
      message: {
        role: 'user',
        content: [{ type: 'tool_result', tool_use_id: 'tu1', content: 'hi\n' }],
      },
      parent_tool_use_id: null,
    },
    {
      type: 'assistant',
      message: { id: 'a2', content: [{ type: 'text', text: 'Tool Bash done: hi' }] },
    },
    {
      type: 'result',
      subtype: 'success',
      total_cost_usd: 0.5,
      usage: {
        input_tokens: 10,
        output_tokens: 4,
        cache_read_input_tokens: 2,
        cache_creation_input_tokens: 0,
      },
    },
    { type: 'turn.ended', messageId: 'm1', outcome: 'success', costUsd: 0.25, durationMs: 120 },
    { type: 'session.status', status: 'idle' },
  ];
  return raw.map((entry, index) => ({ ...entry, seq: index + 1 }) as LogEntry);
}

describe('assembleConversation', () => {
  it('assembles a tool turn with its permission, result, cost and the message queued behind it', () => {
    const view = assembleConversation(toolTurnLog());
    expect(view.turns).toHaveLength(1);
    const turn = view.turns[0]!;
    expect(turn).toMatchObject({
      messageId: 'm1',
      clientMessageId: 'c1',
      userText: 'Run it',
      outcome: 'success',
      costUsd: 0.25,
      durationMs: 120,
      text: 'Tool Bash done: hi',
      usage: {
        inputTokens: 10,
        outputTokens: 4,
        cacheReadInputTokens: 2,
        cacheCreationInputTokens: 0,
      },
    });
    expect(turn.toolCalls).toEqual([
      {
        id: 'tu1',
        name: 'Bash',
        input: { command: 'echo hi' },
        status: 'done',
        result: 'hi\n',
        isError: false,
        permission: { requestId: 'p1', behavior: 'allow' },
      },
    ]);
    expect(turn.parts).toEqual([
      { kind: 'tool', toolCallId: 'tu1' },
      { kind: 'text', text: 'Tool Bash done: hi' },
    ]);
    expect(view.queued.map((item) => [item.messageId, item.userText])).toEqual([['m2', 'Next']]);
    expect(view.pendingPermissions).toEqual([]);
    expect(view.status).toBe('idle');
    // The session's cost is the sum of turn.ended costs, never the SDK's cumulative figure.
    expect(view.costUsd).toBe(0.25);
    expect(view.lastSeq).toBe(14);
  });

  it('shows a permission as pending until it is resolved', () => {
    const log = toolTurnLog();
    const view = assembleConversation(log.slice(0, 7));
    expect(view.status).toBe('waiting_permission');
    expect(view.pendingPermissions).toMatchObject([
      { requestId: 'p1', toolName: 'Bash', messageId: 'm1' },
    ]);
    expect(view.turns[0]!.toolCalls[0]!.status).toBe('waiting_permission');
    expect(view.turns[0]!.outcome).toBe('running');
  });

  it('is deterministic, immutable, and ignores entries it already applied', () => {
    const log = toolTurnLog();
    const once = assembleConversation(log);
    const twice = assembleConversation([...log.slice(0, 9), ...log]);
    expect(twice).toEqual(once);
    const before = assembleConversation(log.slice(0, 5));
    const snapshot = structuredClone(before);
    applyLogEntry(before, log[5]!);
    expect(before).toEqual(snapshot);
  });

  it('keeps turns it did not touch by identity', () => {
    const log = toolTurnLog();
    const done = assembleConversation(log);
    const next = applyLogEntry(done, {
      type: 'message.started',
      seq: 15,
      messageId: 'm2',
    } as LogEntry);
    expect(next.turns[0]).toBe(done.turns[0]);
    expect(next.turns[1]).toMatchObject({ messageId: 'm2', userText: 'Next', outcome: 'running' });
    expect(next.queued).toEqual([]);
  });

  it('records cancelled messages, resets, errors and interrupted turns', () => {
    const raw: Array<Record<string, unknown>> = [
      { type: 'message.queued', messageId: 'm1', content: 'slow', policy: 'enqueue' },
      { type: 'message.queued', messageId: 'm2', content: 'later', policy: 'enqueue' },
      { type: 'message.started', messageId: 'm1' },
      {
        type: 'assistant',
        message: { id: 'a', content: [{ type: 'text', text: 'Echo: sl' }] },
        aborted: true,
      },
      { type: 'error', error: 'The agent failed.', code: 'AGENT_FAILED' },
      { type: 'message.cancelled', messageId: 'm2', reason: 'reset' },
      {
        type: 'turn.ended',
        messageId: 'm1',
        outcome: 'interrupted',
        costUsd: 0.01,
        durationMs: 50,
      },
      { type: 'session.reset' },
      { type: 'error', error: 'Out of money.', code: 'BUDGET_EXCEEDED' },
    ];
    const view = assembleConversation(
      raw.map((entry, index) => ({ ...entry, seq: index + 1 }) as LogEntry),
    );
    expect(view.turns[0]).toMatchObject({ outcome: 'interrupted', text: 'Echo: sl', epoch: 0 });
    expect(view.turns[0]!.errors).toEqual([
      { seq: 5, error: 'The agent failed.', code: 'AGENT_FAILED' },
    ]);
    expect(view.cancelled).toMatchObject([{ messageId: 'm2', reason: 'reset' }]);
    expect(view.queued).toEqual([]);
    expect(view.epoch).toBe(1);
    expect(view.errors).toEqual([{ seq: 9, error: 'Out of money.', code: 'BUDGET_EXCEEDED' }]);
  });

  it('streams text deltas into the running turn only after a block start', () => {
    const log = toolTurnLog().slice(0, 2);
    let view = assembleConversation(log);
    const delta = (text: string) => ({
      type: 'stream_event',
      parent_tool_use_id: null,
      event: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } },
    });
    // Joined mid-block (e.g. after a reconnect): the partial text is not shown.
    view = applyStreamEvent(view, delta('lo'));
    expect(view.turns[0]!.streamingText).toBe('');
    view = applyStreamEvent(view, {
      type: 'stream_event',
      parent_tool_use_id: null,
      event: { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    });
    view = applyStreamEvent(view, delta('Hel'));
    view = applyStreamEvent(view, delta('lo'));
    expect(view.turns[0]!.streamingText).toBe('Hello');
    view = applyLogEntry(view, {
      type: 'assistant',
      seq: 3,
      message: { id: 'a', content: [{ type: 'text', text: 'Hello' }] },
    } as LogEntry);
    expect(view.turns[0]).toMatchObject({ streamingText: '', text: 'Hello' });
  });

  it('starts empty', () => {
    expect(createConversationView()).toMatchObject({
      turns: [],
      status: 'unknown',
      costUsd: 0,
      lastSeq: 0,
    });
  });
});
