import type { SDKMessage } from '@anthropic-ai/claude-agent-sdk';
import { describe, expect, it } from 'vitest';
import { messagesRanTool, summarizeTurn } from './summarize-turn.js';

// Minimal stand-ins for SDK messages: only the fields summarizeTurn reads.
const init = { type: 'system', subtype: 'init', session_id: 's-1' } as unknown as SDKMessage;
const assistantText = {
  type: 'assistant',
  message: { content: [{ type: 'text', text: 'hi' }] },
} as unknown as SDKMessage;
const result = (fields: Record<string, unknown>) =>
  ({
    type: 'result',
    session_id: 's-1',
    duration_ms: 120,
    total_cost_usd: 0.5,
    ...fields,
  }) as unknown as SDKMessage;

describe('summarizeTurn', () => {
  it('reports a successful turn', () => {
    const summary = summarizeTurn(
      [
        init,
        assistantText,
        result({ subtype: 'success', is_error: false, result: 'hi', terminal_reason: 'completed' }),
      ],
      { previousTotalCostUsd: 0.2 },
    );
    expect(summary).toMatchObject({
      isError: false,
      text: 'hi',
      costUsd: 0.3,
      totalCostUsd: 0.5,
      durationMs: 120,
      sessionId: 's-1',
      ranTool: false,
      errors: [],
    });
  });

  it('reports an API error result with its kind and status', () => {
    const synthetic = {
      type: 'assistant',
      error: 'overloaded',
      message: { content: [{ type: 'text', text: 'API Error' }] },
    } as unknown as SDKMessage;
    const summary = summarizeTurn([
      init,
      synthetic,
      result({
        subtype: 'success',
        is_error: true,
        result: 'API Error: 529',
        terminal_reason: 'api_error',
        api_error_status: 529,
      }),
    ]);
    expect(summary).toMatchObject({
      isError: true,
      text: undefined,
      terminalReason: 'api_error',
      apiError: 'overloaded',
      apiErrorStatus: 529,
      errors: ['API Error: 529'],
    });
  });

  it('reports a turn without a result as an error carrying the failure', () => {
    const summary = summarizeTurn([init], {
      failure: new Error('boom'),
      wallMs: 42,
      stoppedBy: 'abort',
    });
    expect(summary).toMatchObject({
      isError: true,
      result: undefined,
      errors: ['boom'],
      durationMs: 42,
      costUsd: 0,
      stoppedBy: 'abort',
    });
  });

  it('detects tool calls in assistant tool_use and user tool_result blocks only', () => {
    const toolUse = {
      type: 'assistant',
      message: { content: [{ type: 'tool_use', id: 't', name: 'Bash', input: {} }] },
    } as unknown as SDKMessage;
    const toolResult = {
      type: 'user',
      message: { content: [{ type: 'tool_result', tool_use_id: 't', content: 'ok' }] },
    } as unknown as SDKMessage;
    const plainUser = {
      type: 'user',
      message: { content: 'tool_use in words only' },
    } as unknown as SDKMessage;
    expect(messagesRanTool([init, assistantText, plainUser])).toBe(false);
    expect(messagesRanTool([toolUse])).toBe(true);
    expect(messagesRanTool([toolResult])).toBe(true);
  });
});
