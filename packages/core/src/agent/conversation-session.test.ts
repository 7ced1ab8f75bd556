import type { SDKMessage } from '@anthropic-ai/claude-agent-sdk';
import { describe, expect, it } from 'vitest';
import { createConversationSession } from './conversation-session.js';
import type { AgentTurnResult } from './summarize-turn.js';

function turnResult(fields: Partial<AgentTurnResult>): AgentTurnResult {
  return fields as AgentTurnResult;
}

const init = { type: 'system', subtype: 'init', session_id: 'from-init' } as SDKMessage;

describe('createConversationSession', () => {
  it('uses a caller-picked first id once, then resumes the id the CLI reported', () => {
    const session = createConversationSession({ sessionId: 'picked' });
    expect(session.startOptions()).toEqual({ sessionId: 'picked' });
    expect(session.startOptions()).toEqual({});
    session.observe(init);
    expect(session.sessionId).toBe('from-init');
    expect(session.startOptions()).toEqual({ resume: 'from-init' });
  });

  it('resumes a given session id and prefers it over a picked one', () => {
    const session = createConversationSession({ resume: 'saved', sessionId: 'picked' });
    expect(session.sessionId).toBe('saved');
    expect(session.startOptions()).toEqual({ resume: 'saved' });
  });

  it('takes the cost baseline only from turns that produced a result', () => {
    const session = createConversationSession({});
    expect(session.costBaseline()).toEqual({});
    session.record(turnResult({ sessionId: 's1', result: undefined, totalCostUsd: 9 }));
    expect(session.sessionId).toBe('s1');
    expect(session.costBaseline()).toEqual({});
    session.record(
      turnResult({
        sessionId: undefined,
        result: {} as AgentTurnResult['result'],
        totalCostUsd: 0.25,
      }),
    );
    expect(session.sessionId).toBe('s1');
    expect(session.costBaseline()).toEqual({ previousTotalCostUsd: 0.25 });
  });

  it('reset() forgets the session and its cost, and ignores messages other than init', () => {
    const session = createConversationSession({ resume: 'saved' });
    session.record(
      turnResult({ sessionId: 'saved', result: {} as AgentTurnResult['result'], totalCostUsd: 1 }),
    );
    session.observe({ type: 'system', subtype: 'status', session_id: 'other' } as SDKMessage);
    expect(session.sessionId).toBe('saved');
    session.reset();
    expect(session.sessionId).toBeUndefined();
    expect(session.costBaseline()).toEqual({});
    expect(session.startOptions()).toEqual({});
  });
});
