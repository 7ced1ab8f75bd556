import { describe, expect, it } from 'vitest';
import { AgentSessionsError } from './agent-sessions-error.js';
import { ERROR_CODES, isErrorCode } from './error-codes.js';
import { errorBodySchema } from './http.js';

describe('error codes', () => {
  it('lists the codes the contract names, each UPPER_SNAKE and unique', () => {
    for (const code of [
      'BAD_REQUEST',
      'INVALID_FRAME',
      'UNAUTHORIZED',
      'FORBIDDEN',
      'SESSION_NOT_FOUND',
      'NOT_FOUND',
      'PERMISSION_NOT_FOUND',
      'SESSION_BUSY',
      'QUEUE_FULL',
      'PAYLOAD_TOO_LARGE',
      'RATE_LIMITED',
      'BUDGET_EXCEEDED',
      'AGENT_FAILED',
      'TURN_TIMEOUT',
      'SHUTTING_DOWN',
      'SLOW_CONSUMER',
      'INTERNAL',
    ]) {
      expect(ERROR_CODES).toContain(code);
    }
    expect(new Set(ERROR_CODES).size).toBe(ERROR_CODES.length);
    for (const code of ERROR_CODES) expect(code).toMatch(/^[A-Z][A-Z0-9_]*$/);
  });

  it('isErrorCode accepts known codes only', () => {
    expect(isErrorCode('RATE_LIMITED')).toBe(true);
    expect(isErrorCode('rate_limited')).toBe(false);
    expect(isErrorCode('NOPE')).toBe(false);
    expect(isErrorCode(42)).toBe(false);
    expect(isErrorCode(undefined)).toBe(false);
  });
});

describe('AgentSessionsError', () => {
  it('carries code, message, details and cause', () => {
    const cause = new Error('disk full');
    const error = new AgentSessionsError('INTERNAL', 'Could not save the message.', {
      details: { sessionId: 's-1' },
      cause,
    });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('AgentSessionsError');
    expect(error.code).toBe('INTERNAL');
    expect(error.message).toBe('Could not save the message.');
    expect(error.details).toEqual({ sessionId: 's-1' });
    expect(error.cause).toBe(cause);
    expect(error.stack).toContain('Could not save the message.');
  });

  it('serialises to exactly the wire shape {error, code}, leaving details out', () => {
    const error = new AgentSessionsError('SESSION_BUSY', 'The session is busy.', {
      details: { secret: 'x' },
    });
    const wire = JSON.parse(JSON.stringify(error));
    expect(wire).toEqual({ error: 'The session is busy.', code: 'SESSION_BUSY' });
    expect(errorBodySchema.parse(wire)).toEqual(wire);
  });

  it('is() recognises its own errors, also from another copy of the class, and nothing else', () => {
    expect(AgentSessionsError.is(new AgentSessionsError('NOT_FOUND', 'gone'))).toBe(true);
    expect(AgentSessionsError.is(new Error('plain'))).toBe(false);
    expect(AgentSessionsError.is({ code: 'NOT_FOUND', message: 'look-alike' })).toBe(false);
    expect(AgentSessionsError.is(null)).toBe(false);
    expect(AgentSessionsError.is('INTERNAL')).toBe(false);
    // A second copy of the package would brand with the same registered symbol.
    const foreign = new Error('from another copy');
    Object.defineProperty(foreign, Symbol.for('agent-sessions.error'), { value: true });
    expect(AgentSessionsError.is(foreign)).toBe(true);
  });

  it('does not put the brand in enumerable keys', () => {
    const error = new AgentSessionsError('INTERNAL', 'x');
    expect(
      Object.getOwnPropertySymbols(error).every(
        (symbol) => !Object.prototype.propertyIsEnumerable.call(error, symbol),
      ),
    ).toBe(true);
  });
});
