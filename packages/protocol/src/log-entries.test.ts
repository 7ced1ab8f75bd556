import { describe, expect, it } from 'vitest';
import {
  type LogEntry,
  logEntrySchema,
  SERVER_EVENT_TYPES,
  type ServerEventInput,
  serverEventSchema,
} from './log-entries.js';
import { isLogEntry, serverFrameSchema } from './server-frames.js';
import type { Session } from './session.js';

const validEvents = [
  { type: 'message.queued', seq: 1, messageId: 'm-1', content: 'hi', policy: 'enqueue' },
  {
    type: 'message.queued',
    seq: 2,
    messageId: 'm-2',
    clientMessageId: 'c-2',
    content: [{ type: 'text', text: 'hi' }],
    policy: 'interrupt',
  },
  { type: 'message.started', seq: 3, messageId: 'm-1' },
  { type: 'message.cancelled', seq: 4, messageId: 'm-2', reason: 'session reset' },
  {
    type: 'turn.ended',
    seq: 5,
    messageId: 'm-1',
    outcome: 'success',
    costUsd: 0.0012,
    durationMs: 840,
  },
  {
    type: 'turn.ended',
    seq: 6,
    messageId: 'm-1',
    outcome: 'interrupted',
    costUsd: 0,
    durationMs: 0,
  },
  { type: 'session.status', seq: 7, status: 'waiting_permission' },
  {
    type: 'permission.request',
    seq: 8,
    requestId: 'p-1',
    toolName: 'Bash',
    input: { command: 'ls' },
  },
  { type: 'permission.resolved', seq: 9, requestId: 'p-1', behavior: 'deny' },
  { type: 'session.reset', seq: 10 },
  { type: 'error', seq: 11, error: 'The agent failed.', code: 'AGENT_FAILED' },
];

describe('server event entries', () => {
  it('accept every server event type in its documented shape', () => {
    for (const event of validEvents) {
      expect(serverEventSchema.parse(event)).toEqual(event);
      expect(logEntrySchema.parse(event)).toEqual(event);
    }
    expect(new Set(validEvents.map((event) => event.type))).toEqual(new Set(SERVER_EVENT_TYPES));
  });

  it('refuse server events with missing or wrong fields, also through logEntrySchema', () => {
    const bad = [
      { type: 'message.queued', seq: 1, messageId: 'm', content: 'hi' },
      { type: 'message.queued', seq: 1, messageId: 'm', content: '', policy: 'enqueue' },
      { type: 'message.started', seq: 1 },
      { type: 'message.cancelled', seq: 1, messageId: 'm' },
      { type: 'turn.ended', seq: 1, messageId: 'm', outcome: 'done', costUsd: 0, durationMs: 1 },
      {
        type: 'turn.ended',
        seq: 1,
        messageId: 'm',
        outcome: 'success',
        costUsd: -1,
        durationMs: 1,
      },
      { type: 'session.status', seq: 1, status: 'sleeping' },
      { type: 'permission.request', seq: 1, requestId: 'p', toolName: 'Bash', input: 'ls' },
      { type: 'permission.resolved', seq: 1, requestId: 'p', behavior: 'maybe' },
      { type: 'error', seq: 1, error: 'x', code: 'lower_case' },
      { type: 'error', seq: 1, code: 'INTERNAL' },
      { type: 'session.reset' },
      { type: 'session.reset', seq: 0 },
      { type: 'session.reset', seq: 1.5 },
    ];
    for (const entry of bad) {
      expect(serverEventSchema.safeParse(entry).success, JSON.stringify(entry)).toBe(false);
      expect(logEntrySchema.safeParse(entry).success, JSON.stringify(entry)).toBe(false);
    }
  });

  it('ServerEventInput is an event without its seq', () => {
    const input: ServerEventInput = { type: 'session.status', status: 'idle' };
    // @ts-expect-error a turn.ended event needs its outcome
    const incomplete: ServerEventInput = {
      type: 'turn.ended',
      messageId: 'm',
      costUsd: 0,
      durationMs: 0,
    };
    expect(serverEventSchema.parse({ ...input, seq: 1 })).toEqual({ ...input, seq: 1 });
    expect(serverEventSchema.safeParse({ ...incomplete, seq: 1 }).success).toBe(false);
  });
});

describe('SDK message entries', () => {
  const assistant = {
    type: 'assistant',
    seq: 12,
    uuid: '2f6c...',
    session_id: 's-1',
    parent_tool_use_id: null,
    message: {
      id: 'msg_1',
      role: 'assistant',
      content: [{ type: 'text', text: 'Hello' }],
      usage: { input_tokens: 3, output_tokens: 1, cache_read_input_tokens: 0 },
    },
    some_future_field: { nested: [1, 2, 3] },
  };
  const result = {
    type: 'result',
    subtype: 'success',
    seq: 13,
    is_error: false,
    total_cost_usd: 0.01,
    modelUsage: { 'claude-x': { inputTokens: 1 } },
  };

  it('round-trip verbatim with every SDK field preserved', () => {
    for (const entry of [
      assistant,
      result,
      { type: 'system', subtype: 'init', seq: 1, tools: ['Bash'] },
    ]) {
      const parsed = logEntrySchema.parse(entry);
      expect(parsed).toEqual(entry);
      expect(JSON.parse(JSON.stringify(parsed))).toEqual(entry);
      expect(serverFrameSchema.parse(JSON.parse(JSON.stringify(entry)))).toEqual(entry);
    }
  });

  it('need a string type and a positive integer seq, and may not use a reserved type', () => {
    for (const entry of [
      { type: 'assistant' },
      { type: 'assistant', seq: 0 },
      { type: 'assistant', seq: '3' },
      { type: '', seq: 1 },
      { seq: 1 },
      { type: 'ack', seq: 1 },
      { type: 'session.ready', seq: 1 },
      'assistant',
      null,
    ]) {
      expect(logEntrySchema.safeParse(entry).success, JSON.stringify(entry)).toBe(false);
    }
  });
});

describe('serverFrameSchema', () => {
  const session: Session = {
    id: 's-1',
    title: null,
    status: 'idle',
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T00:00:01.000Z',
    lastActiveAt: '2025-01-01T00:00:01.000Z',
    lastSeq: 4,
    turnCount: 1,
    messageCount: 1,
    usage: {
      inputTokens: 10,
      outputTokens: 5,
      cacheReadInputTokens: 0,
      cacheCreationInputTokens: 0,
    },
    costUsd: 0.001,
    options: { permissionMode: 'bypassPermissions' },
  };

  it('parses control frames and tells them apart from log entries', () => {
    const control = [
      { type: 'session.ready', session, lastSeq: 4 },
      { type: 'ack', clientMessageId: 'c-1', messageId: 'm-1', seq: 5 },
      { type: 'ack', messageId: 'm-1', seq: 5 },
      { type: 'error', error: 'Unknown frame type.', code: 'INVALID_FRAME' },
      { type: 'pong' },
      { type: 'stream_event', event: { type: 'content_block_delta' } },
    ];
    for (const frame of control) {
      const parsed = serverFrameSchema.parse(frame);
      expect(parsed).toEqual(frame);
      expect(isLogEntry(parsed)).toBe(false);
    }
    const entries: LogEntry[] = [
      { type: 'error', seq: 3, error: 'boom', code: 'AGENT_FAILED' },
      { type: 'stream_event', seq: 4, event: {} },
    ];
    for (const entry of entries) {
      const parsed = serverFrameSchema.parse(entry);
      // The error entry must keep its seq, not be read as a seq-less error frame.
      expect(parsed).toEqual(entry);
      expect(isLogEntry(parsed)).toBe(true);
    }
  });

  it('refuses malformed control frames', () => {
    for (const frame of [
      { type: 'session.ready', lastSeq: 0 },
      { type: 'session.ready', session: { ...session, createdAt: 'yesterday' }, lastSeq: 0 },
      { type: 'ack', seq: 1 },
      { type: 'error', error: 'x' },
      { type: 'error', code: 'INTERNAL' },
      { type: 'unknown-without-seq' },
    ]) {
      expect(serverFrameSchema.safeParse(frame).success, JSON.stringify(frame)).toBe(false);
    }
  });
});
