import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createScriptedModel, type ScriptedModel } from './create-scripted-model.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON shapes
type Json = any;
const jsonOf = (response: Response): Promise<Json> => response.json() as Promise<Json>;

interface SseEvent {
  event: string;
  data: Json;
  at: number;
}

let model: ScriptedModel;
let sessionCounter = 0;
const logLines: string[] = [];

beforeAll(async () => {
  model = await createScriptedModel({ log: (line) => logLines.push(line) });
});
afterAll(async () => {
  await model.close();
});
beforeEach(() => {
  model.clearRequests();
});

const reminder = '<system-reminder>\nContext the CLI injects.\n</system-reminder>';

function newSessionId(): string {
  sessionCounter++;
  return `00000000-0000-4000-8000-${String(sessionCounter).padStart(12, '0')}`;
}

/** A body shaped like the CLI's: reminder block first, a role:system entry last. */
function cliBody(text: string, options: { stream?: boolean; extra?: unknown[] } = {}) {
  return {
    model: 'claude-sonnet-4-5',
    max_tokens: 32000,
    stream: options.stream ?? true,
    system: [{ type: 'text', text: 'You are Claude Code.' }],
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: reminder },
          { type: 'text', text },
        ],
      },
      ...(options.extra ?? []),
      { role: 'system', content: [{ type: 'text', text: '# Environment' }] },
    ],
    tools: [{ name: 'Bash', description: 'run', input_schema: { type: 'object' } }],
    metadata: { user_id: 'test' },
  };
}

function post(body: unknown, sessionId = newSessionId(), init: RequestInit = {}) {
  return fetch(`${model.url}/v1/messages?beta=true`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-api-key': 'secret-key',
      'anthropic-version': '2023-06-01',
      'x-claude-code-session-id': sessionId,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...init,
  });
}

async function readEvents(response: Response): Promise<{ events: SseEvent[]; error?: unknown }> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const events: SseEvent[] = [];
  let buffer = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
        const raw = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const lines = raw.split('\n');
        const event = lines.find((line) => line.startsWith('event: '))!.slice(7);
        const data = JSON.parse(lines.find((line) => line.startsWith('data: '))!.slice(6));
        expect(data.type).toBe(event);
        events.push({ event, data, at: performance.now() });
      }
    }
  } catch (error) {
    return { events, error };
  }
  expect(buffer).toBe('');
  return { events };
}

function textOf(events: SseEvent[]): string {
  return events
    .filter((e) => e.event === 'content_block_delta' && e.data.delta.type === 'text_delta')
    .map((e) => e.data.delta.text)
    .join('');
}

function expectWellFormedStream(events: SseEvent[]): void {
  const names = events.map((e) => e.event);
  expect(names.slice(0, 3)).toEqual(['message_start', 'ping', 'content_block_start']);
  const deltas = names.filter((n) => n === 'content_block_delta').length;
  expect(names.slice(3)).toEqual([
    ...Array(deltas).fill('content_block_delta'),
    'content_block_stop',
    'message_delta',
    'message_stop',
  ]);
  const message = events[0]!.data.message;
  expect(message).toMatchObject({ type: 'message', role: 'assistant', content: [] });
  expect(message.id).toMatch(/^msg_/);
  expect(message.usage).toMatchObject({
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
  });
  expect(message.usage.input_tokens).toBeGreaterThan(0);
  expect(events.at(-2)!.data.usage.output_tokens).toBeGreaterThan(0);
}

describe('streaming replies', () => {
  it('echoes a plain text as several text deltas in the API event order', async () => {
    const response = await post(cliBody('hello scripted world'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    expect(response.headers.get('request-id')).toMatch(/^req_/);
    const { events, error } = await readEvents(response);
    expect(error).toBeUndefined();
    expectWellFormedStream(events);
    expect(events[0]!.data.message.model).toBe('claude-sonnet-4-5');
    expect(events.filter((e) => e.event === 'content_block_delta').length).toBeGreaterThan(1);
    expect(events[2]!.data.content_block).toEqual({ type: 'text', text: '' });
    expect(textOf(events)).toBe('Echo: hello scripted world');
    expect(events.at(-2)!.data.delta).toEqual({ stop_reason: 'end_turn', stop_sequence: null });
  });

  it('replies exactly with [[reply]]', async () => {
    const { events } = await readEvents(await post(cliBody('[[reply:exactly this: text]]')));
    expectWellFormedStream(events);
    expect(textOf(events)).toBe('exactly this: text');
  });

  it('recalls every earlier user text, skipping tool results and the current one', async () => {
    const body = cliBody('first', {
      extra: [
        {
          role: 'assistant',
          content: [{ type: 'tool_use', id: 'toolu_x', name: 'Bash', input: {} }],
        },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_x', content: 'r' }] },
        { role: 'assistant', content: [{ type: 'text', text: 'Tool Bash done: r' }] },
        { role: 'user', content: [{ type: 'text', text: 'second' }] },
        { role: 'assistant', content: [{ type: 'text', text: 'Echo: second' }] },
        { role: 'user', content: [{ type: 'text', text: '[[recall]]' }] },
      ],
    });
    const { events } = await readEvents(await post(body));
    expect(textOf(events)).toBe('first | second');
  });

  it('reports [[tokens]] usage in message_start and message_delta', async () => {
    const { events } = await readEvents(await post(cliBody('[[tokens:1234:56]] hi')));
    expect(events[0]!.data.message.usage.input_tokens).toBe(1234);
    expect(events.at(-2)!.data.usage.output_tokens).toBe(56);
    expect(textOf(events)).toBe('Echo: hi');
  });
});

describe('non-streaming replies', () => {
  it('answers a JSON Message with usage', async () => {
    const response = await post(cliBody('[[tokens:7:8]] [[reply:json reply]]', { stream: false }));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    const message = await jsonOf(response);
    expect(message).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5',
      content: [{ type: 'text', text: 'json reply' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: {
        input_tokens: 7,
        output_tokens: 8,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
      },
    });
    expect(message.id).toMatch(/^msg_/);
  });
});

describe('[[tool]]', () => {
  const directive = '[[tool:Bash:{"command":"echo hi > out.txt","description":"write ]] file"}]]';

  it('streams a tool_use whose input_json_deltas join to the input, then reports the result', async () => {
    const sessionId = newSessionId();
    const { events } = await readEvents(await post(cliBody(directive), sessionId));
    expectWellFormedStream(events);
    const start = events[2]!.data.content_block;
    expect(start).toMatchObject({ type: 'tool_use', name: 'Bash', input: {} });
    expect(start.id).toMatch(/^toolu_/);
    const jsonDeltas = events
      .filter((e) => e.event === 'content_block_delta')
      .map((e) => {
        expect(e.data.delta.type).toBe('input_json_delta');
        return e.data.delta.partial_json as string;
      });
    expect(jsonDeltas.length).toBeGreaterThan(1);
    expect(JSON.parse(jsonDeltas.join(''))).toEqual({
      command: 'echo hi > out.txt',
      description: 'write ]] file',
    });
    expect(events.at(-2)!.data.delta.stop_reason).toBe('tool_use');

    const resultText = `${'r'.repeat(199)}STOP-AFTER-HERE`;
    const followUp = cliBody(directive, {
      extra: [
        { role: 'assistant', content: [start] },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: start.id, content: resultText },
            { type: 'text', text: reminder },
          ],
        },
      ],
    });
    const second = await readEvents(await post(followUp, sessionId));
    expectWellFormedStream(second.events);
    expect(textOf(second.events)).toBe(`Tool Bash done: ${'r'.repeat(199)}S`);
    expect(second.events.at(-2)!.data.delta.stop_reason).toBe('end_turn');
    expect(model.requests.map((r) => r.outcome)).toEqual(['tool_use', 'text']);
    expect(model.requests[1]!.userText).toBe(directive);
  });

  it('gives every tool call a fresh id', async () => {
    const ids = new Set<string>();
    for (let attempt = 0; attempt < 3; attempt++) {
      const message = await jsonOf(await post(cliBody(directive, { stream: false })));
      expect(message.stop_reason).toBe('tool_use');
      ids.add(message.content[0].id);
    }
    expect(ids.size).toBe(3);
  });
});

describe('timing directives', () => {
  it('[[slow:MS]] spreads the deltas over about MS milliseconds', async () => {
    const started = performance.now();
    const { events } = await readEvents(await post(cliBody('[[slow:800]] [[reply:a slow reply]]')));
    const elapsed = performance.now() - started;
    const deltas = events.filter((e) => e.event === 'content_block_delta');
    expect(deltas.length).toBeGreaterThanOrEqual(10);
    expect(deltas.at(-1)!.at - deltas[0]!.at).toBeGreaterThan(550);
    expect(elapsed).toBeGreaterThan(750);
    expect(elapsed).toBeLessThan(2500);
    expect(textOf(events)).toBe('a slow reply');
  });

  it('[[stall:MS]] sends message_start, then nothing for MS, then finishes', async () => {
    const started = performance.now();
    const response = await post(cliBody('[[stall:700]] [[reply:after the stall]]'));
    expect(performance.now() - started).toBeLessThan(500);
    const { events } = await readEvents(response);
    expectWellFormedStream(events);
    expect(events[0]!.at - started).toBeLessThan(500);
    expect(events[1]!.at - events[0]!.at).toBeGreaterThan(600);
    expect(textOf(events)).toBe('after the stall');
  });

  it('delays a non-streaming reply by [[stall]] plus [[slow]]', async () => {
    const started = performance.now();
    const response = await post(cliBody('[[stall:200]] [[slow:200]] x', { stream: false }));
    expect((await jsonOf(response)).content[0].text).toBe('Echo: x');
    expect(performance.now() - started).toBeGreaterThan(380);
  });
});

describe('[[error]]', () => {
  const cases = [
    { status: 529, type: 'overloaded_error' },
    { status: 500, type: 'api_error' },
    { status: 429, type: 'rate_limit_error' },
    { status: 401, type: 'authentication_error' },
    { status: 403, type: 'permission_error' },
    { status: 503, type: 'api_error' },
    { status: 418, type: 'invalid_request_error' },
  ];
  for (const { status, type } of cases) {
    it(`answers every request of the turn with ${status} ${type}`, async () => {
      const sessionId = newSessionId();
      for (let attempt = 0; attempt < 2; attempt++) {
        const response = await post(cliBody(`[[error:${status}]] hi`), sessionId);
        expect(response.status).toBe(status);
        expect(response.headers.get('request-id')).toMatch(/^req_/);
        expect(response.headers.get('retry-after')).toBe(status === 429 ? '0' : null);
        const body = await jsonOf(response);
        expect(body).toMatchObject({ type: 'error', error: { type } });
        expect(typeof body.error.message).toBe('string');
      }
    });
  }

  it('[[error:500:1]] fails once, then the same turn succeeds', async () => {
    const sessionId = newSessionId();
    const body = cliBody('[[error:500:1]] [[reply:recovered]]');
    expect((await post(body, sessionId)).status).toBe(500);
    const { events } = await readEvents(await post(body, sessionId));
    expect(textOf(events)).toBe('recovered');
    expect((await post(body, sessionId)).status).toBe(200);
    expect(model.requests.map((r) => r.outcome)).toEqual(['scripted_error', 'text', 'text']);
  });

  it('counts failures per session and per turn', async () => {
    const body = cliBody('[[error:529:2]] hi');
    const first = newSessionId();
    const second = newSessionId();
    expect((await post(body, first)).status).toBe(529);
    expect((await post(body, second)).status).toBe(529);
    expect((await post(body, first)).status).toBe(529);
    expect((await post(body, first)).status).toBe(200);
    expect((await post(body, second)).status).toBe(529);
    // The same text as a later turn of the session is a new turn.
    const laterTurn = cliBody('[[error:529:2]] hi', {
      extra: [
        { role: 'assistant', content: [{ type: 'text', text: 'Echo: hi' }] },
        { role: 'user', content: [{ type: 'text', text: '[[error:529:2]] hi' }] },
      ],
    });
    expect((await post(laterTurn, first)).status).toBe(529);
  });

  it('without a session header keys the turn by the first user text', async () => {
    const body = JSON.stringify(cliBody('[[error:500:1]] no header'));
    const send = () =>
      fetch(`${model.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
    expect((await send()).status).toBe(500);
    expect((await send()).status).toBe(200);
  });
});

describe('[[broken]]', () => {
  it('cuts the first stream after one delta; the non-streaming retry succeeds', async () => {
    const sessionId = newSessionId();
    const text = '[[broken]] [[reply:a reply long enough for several deltas]]';
    const { events, error } = await readEvents(await post(cliBody(text), sessionId));
    expect(error).toBeDefined();
    expect(events.map((e) => e.event)).toEqual([
      'message_start',
      'ping',
      'content_block_start',
      'content_block_delta',
    ]);
    const retry = await post(cliBody(text, { stream: false }), sessionId);
    expect(retry.status).toBe(200);
    expect((await jsonOf(retry)).content[0].text).toBe('a reply long enough for several deltas');
    const again = await readEvents(await post(cliBody(text), sessionId));
    expect(again.error).toBeUndefined();
    expect(textOf(again.events)).toBe('a reply long enough for several deltas');
    expect(model.requests.map((r) => r.outcome)).toEqual(['broken', 'text', 'text']);
  });
});

describe('malformed and unexpected requests', () => {
  async function expectError(response: Response, status: number, type: string) {
    expect(response.status).toBe(status);
    const body = await jsonOf(response);
    expect(body).toMatchObject({ type: 'error', error: { type } });
    return response;
  }

  it('answers each with an Anthropic error and keeps serving', async () => {
    await expectError(
      await fetch(`${model.url}/v1/complete`, { method: 'POST' }),
      404,
      'not_found_error',
    );
    await expectError(await fetch(`${model.url}/`), 404, 'not_found_error');
    const wrongMethod = await expectError(
      await fetch(`${model.url}/v1/messages`),
      405,
      'invalid_request_error',
    );
    expect(wrongMethod.headers.get('allow')).toBe('POST');
    await expectError(await post('{"messages": ['), 400, 'invalid_request_error');
    await expectError(await post(''), 400, 'invalid_request_error');
    await expectError(await post('[1,2]'), 400, 'invalid_request_error');
    await expectError(await post({ model: 'x' }), 400, 'invalid_request_error');
    await expectError(await post({ messages: [] }), 400, 'invalid_request_error');
    await expectError(
      await post({ messages: [{ role: 'assistant', content: 'hi' }] }),
      400,
      'invalid_request_error',
    );
    await expectError(await post({ messages: [null, 3, 'x'] }), 400, 'invalid_request_error');
    // Odd but valid shapes are tolerated.
    const odd = await post({ messages: [{ role: 'user', content: 42 }], stream: false });
    expect((await jsonOf(odd)).content[0].text).toBe('Echo: ');

    const { events } = await readEvents(await post(cliBody('still serving')));
    expect(textOf(events)).toBe('Echo: still serving');
    expect(model.requests.filter((r) => r.outcome === 'rejected').length).toBe(10);
  });

  it('rejects bodies over the limit with 413, declared or streamed, and keeps serving', async () => {
    const small = await createScriptedModel({ maxBodyBytes: 2048 });
    try {
      const big = JSON.stringify(cliBody('x'.repeat(4096)));
      const declared = await fetch(`${small.url}/v1/messages`, { method: 'POST', body: big });
      expect(declared.status).toBe(413);
      expect((await jsonOf(declared)).error.type).toBe('request_too_large');

      const streamed = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const request = httpRequest(`${small.url}/v1/messages`, { method: 'POST' }, (response) => {
          let body = '';
          response.on('data', (chunk) => {
            body += chunk;
          });
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        });
        request.on('error', reject);
        request.write(big.slice(0, 3000)); // chunked: no content-length to reject up front
        request.end();
      });
      expect(streamed.status).toBe(413);
      expect(JSON.parse(streamed.body).error.type).toBe('request_too_large');

      const ok = await fetch(`${small.url}/v1/messages`, {
        method: 'POST',
        body: JSON.stringify({ messages: [{ role: 'user', content: 'ok' }] }),
      });
      expect((await jsonOf(ok)).content[0].text).toBe('Echo: ok');
    } finally {
      await small.close();
    }
  });
});

describe('count_tokens', () => {
  it('answers input_tokens', async () => {
    const response = await fetch(`${model.url}/v1/messages/count_tokens?beta=true`, {
      method: 'POST',
      body: JSON.stringify({ messages: [{ role: 'user', content: 'x'.repeat(400) }] }),
    });
    expect(response.status).toBe(200);
    const body = await jsonOf(response);
    expect(body.input_tokens).toBeGreaterThanOrEqual(100);
    expect(model.requests[0]!.outcome).toBe('count_tokens');
  });
});

describe('request recording', () => {
  it('records every request served and exposes them at /_scripted/requests', async () => {
    const sessionId = newSessionId();
    await readEvents(await post(cliBody('[[reply:one]]'), sessionId));
    await jsonOf(await post(cliBody('two', { stream: false }), sessionId));
    await (await fetch(`${model.url}/nowhere`)).text();

    expect(model.requestCount()).toBe(3);
    const [first, second, third] = model.requests;
    expect(first).toMatchObject({
      method: 'POST',
      path: '/v1/messages',
      query: '?beta=true',
      sessionId,
      userText: '[[reply:one]]',
      stream: true,
      status: 200,
      outcome: 'text',
    });
    expect(first!.headers['x-api-key']).toBe('[redacted]');
    expect(first!.headers['anthropic-version']).toBe('2023-06-01');
    expect((first!.body as { model: string }).model).toBe('claude-sonnet-4-5');
    expect(first!.requestId).toMatch(/^req_/);
    expect(first!.at).toBeLessThanOrEqual(second!.at);
    expect(second).toMatchObject({ userText: 'two', stream: false, status: 200 });
    expect(third).toMatchObject({
      method: 'GET',
      path: '/nowhere',
      status: 404,
      outcome: 'rejected',
    });

    const listed = await jsonOf(await fetch(`${model.url}/_scripted/requests`));
    expect(listed.count).toBe(3);
    expect(listed.requests[0]).toMatchObject({ sessionId, userText: '[[reply:one]]', status: 200 });
    expect(listed.requests[0].headers).toBeUndefined();
    expect(listed.requests[0].body).toBeUndefined();
    expect(model.requestCount()).toBe(3); // control requests are not recorded

    const cleared = await fetch(`${model.url}/_scripted/requests`, { method: 'DELETE' });
    expect(await jsonOf(cleared)).toMatchObject({ count: 0, cleared: 3 });
    expect(model.requestCount()).toBe(0);
    expect((await jsonOf(await fetch(`${model.url}/_scripted/requests`))).count).toBe(0);
    const wrong = await fetch(`${model.url}/_scripted/requests`, { method: 'POST' });
    expect(wrong.status).toBe(405);
    expect(logLines.some((line) => line.includes('/v1/messages?beta=true 200 text stream'))).toBe(
      true,
    );
  });
});
