import { describe, expect, it } from 'vitest';
import { describeValidationError } from './describe-validation-error.js';
import {
  createSessionBodySchema,
  errorBodySchema,
  eventsPageSchema,
  eventsQuerySchema,
  listSessionsQuerySchema,
  messageAcceptedSchema,
  permissionAnswerBodySchema,
  postMessageBodySchema,
  sessionPageSchema,
} from './http.js';
import {
  MAX_APPEND_SYSTEM_PROMPT_CHARS,
  MAX_EVENTS_PAGE_LIMIT,
  MAX_PAGE_LIMIT,
  MAX_TITLE_CHARS,
  MAX_TURNS_LIMIT,
} from './limits.js';
import { sessionSchema } from './session.js';

const session = {
  id: 's-1',
  title: 'Refactor',
  status: 'hibernated',
  createdAt: '2025-01-01T00:00:00.000Z',
  updatedAt: '2025-01-01T00:00:01.000+02:00',
  lastActiveAt: '2025-01-01T00:00:01Z',
  lastSeq: 0,
  turnCount: 0,
  messageCount: 0,
  usage: { inputTokens: 0, outputTokens: 0, cacheReadInputTokens: 0, cacheCreationInputTokens: 0 },
  costUsd: 0,
  options: { model: 'claude-sonnet-4-5', maxTurns: 3 },
};

describe('create session body', () => {
  it('accepts an empty body and bounded options', () => {
    expect(createSessionBodySchema.parse({})).toEqual({});
    const body = {
      title: 'Refactor',
      options: {
        model: 'claude-opus-4-1[1m]',
        appendSystemPrompt: 'Be terse.',
        permissionMode: 'acceptEdits',
        maxTurns: MAX_TURNS_LIMIT,
        maxBudgetUsd: 0.5,
        allowedTools: ['Read', 'Bash(npm test:*)'],
        disallowedTools: ['WebFetch'],
      },
    };
    expect(createSessionBodySchema.parse(body)).toEqual(body);
  });

  it('refuses unknown options, operator-only permission modes and out-of-bound values', () => {
    const bad = [
      { title: 'x'.repeat(MAX_TITLE_CHARS + 1) },
      { options: { maxturns: 3 } },
      { options: { permissionMode: 'bypassPermissions' } },
      { options: { permissionMode: 'auto' } },
      { options: { maxTurns: 0 } },
      { options: { maxTurns: MAX_TURNS_LIMIT + 1 } },
      { options: { maxTurns: 1.5 } },
      { options: { maxBudgetUsd: 0 } },
      { options: { model: '' } },
      { options: { model: 'model; rm -rf /' } },
      { options: { appendSystemPrompt: 'x'.repeat(MAX_APPEND_SYSTEM_PROMPT_CHARS + 1) } },
      { options: { allowedTools: [''] } },
      { options: 'fast' },
    ];
    for (const body of bad) {
      expect(createSessionBodySchema.safeParse(body).success, JSON.stringify(body)).toBe(false);
    }
    const result = createSessionBodySchema.safeParse({ options: { maxturns: 3 } });
    expect(result.success).toBe(false);
    if (!result.success) {
      expect(describeValidationError(result.error, {})).toBe(
        'Field "options" has unknown field "maxturns".',
      );
    }
  });
});

describe('message and permission bodies', () => {
  it('post message body matches the message frame without its type', () => {
    const body = { content: 'hi', policy: 'reject', clientMessageId: 'c-1' };
    expect(postMessageBodySchema.parse(body)).toEqual(body);
    expect(postMessageBodySchema.safeParse({ policy: 'reject' }).success).toBe(false);
    expect(postMessageBodySchema.safeParse({ content: [] }).success).toBe(false);
  });

  it('permission answer needs allow or deny', () => {
    expect(permissionAnswerBodySchema.parse({ behavior: 'allow' })).toEqual({ behavior: 'allow' });
    expect(permissionAnswerBodySchema.safeParse({ behavior: 'yes' }).success).toBe(false);
    expect(permissionAnswerBodySchema.safeParse({}).success).toBe(false);
  });
});

describe('query schemas', () => {
  it('parse decimal strings from a URL and numbers from code', () => {
    const url = new URL('http://x/v1/sessions?cursor=abc&limit=25');
    expect(listSessionsQuerySchema.parse(Object.fromEntries(url.searchParams))).toEqual({
      cursor: 'abc',
      limit: 25,
    });
    expect(listSessionsQuerySchema.parse({})).toEqual({});
    expect(eventsQuerySchema.parse({ after: '0', limit: String(MAX_EVENTS_PAGE_LIMIT) })).toEqual({
      after: 0,
      limit: MAX_EVENTS_PAGE_LIMIT,
    });
    expect(eventsQuerySchema.parse({ after: 17 })).toEqual({ after: 17 });
  });

  it('refuse anything but bounded whole numbers', () => {
    for (const query of [
      { limit: '0' },
      { limit: String(MAX_PAGE_LIMIT + 1) },
      { limit: '1e2' },
      { limit: ' 5' },
      { limit: '-1' },
      { limit: '' },
      { cursor: '' },
    ]) {
      expect(listSessionsQuerySchema.safeParse(query).success, JSON.stringify(query)).toBe(false);
    }
    for (const query of [{ after: '-1' }, { after: '1.5' }, { after: 'abc' }, { limit: '0' }]) {
      expect(eventsQuerySchema.safeParse(query).success, JSON.stringify(query)).toBe(false);
    }
  });
});

describe('responses', () => {
  it('session object with ISO timestamps, and pages', () => {
    expect(sessionSchema.parse(session)).toEqual(session);
    expect(sessionSchema.safeParse({ ...session, createdAt: 1735689600000 }).success).toBe(false);
    expect(sessionSchema.safeParse({ ...session, status: 'sleeping' }).success).toBe(false);
    expect(sessionSchema.safeParse({ ...session, usage: { inputTokens: 1 } }).success).toBe(false);
    expect(sessionSchema.safeParse({ ...session, costUsd: -0.1 }).success).toBe(false);
    const page = { items: [session], nextCursor: null };
    expect(sessionPageSchema.parse(page)).toEqual(page);
    expect(sessionPageSchema.safeParse({ items: [session] }).success).toBe(false);
  });

  it('message accepted, events page and error body', () => {
    expect(messageAcceptedSchema.parse({ messageId: 'm-1', seq: 3 })).toEqual({
      messageId: 'm-1',
      seq: 3,
    });
    expect(messageAcceptedSchema.safeParse({ messageId: 'm-1', seq: 0 }).success).toBe(false);
    const events = {
      entries: [
        { type: 'message.queued', seq: 1, messageId: 'm-1', content: 'hi', policy: 'enqueue' },
        { type: 'assistant', seq: 2, message: { content: [] } },
      ],
      lastSeq: 9,
    };
    expect(eventsPageSchema.parse(events)).toEqual(events);
    expect(errorBodySchema.parse({ error: 'Slow down.', code: 'RATE_LIMITED' })).toEqual({
      error: 'Slow down.',
      code: 'RATE_LIMITED',
    });
    // A newer server may send a code this version does not know yet.
    expect(errorBodySchema.safeParse({ error: 'x', code: 'BRAND_NEW_CODE' }).success).toBe(true);
    expect(errorBodySchema.safeParse({ error: 'x', code: 'not snake' }).success).toBe(false);
    expect(errorBodySchema.safeParse({ error: 'x' }).success).toBe(false);
  });
});
