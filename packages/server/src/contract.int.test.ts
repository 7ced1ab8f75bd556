import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createMemoryStore } from '@agent-sessions/core';
import { findClaudeProcesses } from '@agent-sessions/core/testing';
import { createScriptedModel } from '@agent-sessions/scripted-model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { type RunningServer, startServer } from './start-server.js';
import { startTestServer, type TestServer } from './test-support/server-harness.js';
import { readSse } from './test-support/sse-client.js';
import { connectWs } from './test-support/ws-client.js';

// One check per MUST of the wire contract (../shared/protocol.md) that the other server tests
// do not already pin down. Each test names the contract line it holds the server to.

interface Entry {
  seq: number;
  type: string;
  [field: string]: unknown;
}

const json = { 'content-type': 'application/json' };
const STATUSES = ['idle', 'running', 'waiting_permission', 'hibernated', 'closed'];

async function request(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: unknown; text: string }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { ...json, ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}

async function readLog(base: string, id: string, headers: Record<string, string> = {}) {
  const response = await request(
    base,
    'GET',
    `/v1/sessions/${id}/events?after=0&limit=1000`,
    undefined,
    headers,
  );
  expect(response.status).toBe(200);
  return response.body as { entries: Entry[]; lastSeq: number };
}

async function waitForLog(
  base: string,
  id: string,
  predicate: (entries: Entry[]) => boolean,
  headers: Record<string, string> = {},
  timeoutMs = 30_000,
): Promise<Entry[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { entries } = await readLog(base, id, headers);
    if (predicate(entries)) return entries;
    if (Date.now() > deadline) {
      throw new Error(`log never matched: ${entries.map((entry) => entry.type).join(',')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const endedCount = (entries: Entry[]) =>
  entries.filter((entry) => entry.type === 'turn.ended').length;
async function createSession(base: string, headers: Record<string, string> = {}): Promise<string> {
  const response = await request(base, 'POST', '/v1/sessions', {}, headers);
  expect(response.status).toBe(201);
  return (response.body as { id: string }).id;
}

async function freePort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe('wire contract: the event log, WebSocket and HTTP (anonymous, loopback)', () => {
  let server: TestServer;
  let base: string;
  beforeAll(async () => {
    server = await startTestServer();
    base = server.url;
  });
  afterAll(async () => {
    await server?.close();
  });

  it('WS: session.ready first {session, lastSeq} without seq; no `after` replays the whole log, `after=k` exactly seq > k, verbatim as the HTTP page', async () => {
    const id = await createSession(base);
    expect(
      (await request(base, 'POST', `/v1/sessions/${id}/messages`, { content: 'fill the log' }))
        .status,
    ).toBe(202);
    const log = await waitForLog(base, id, (entries) => endedCount(entries) === 1);
    // Seqs start at 1 and grow by exactly 1.
    expect(log.map((entry) => entry.seq)).toEqual(log.map((_, index) => index + 1));
    // SDK messages are in the log verbatim with their own types.
    const init = log.find((entry) => entry.type === 'system');
    expect(init).toMatchObject({ subtype: 'init', session_id: expect.any(String) });
    expect(log.find((entry) => entry.type === 'result')).toMatchObject({
      subtype: 'success',
      total_cost_usd: expect.any(Number),
    });
    const lastSeq = log[log.length - 1]!.seq;

    const whole = await connectWs(`${server.wsUrl}/ws?session=${id}`);
    try {
      await whole.waitFor((frame) => frame.seq === lastSeq);
      const ready = whole.frames[0]!;
      expect(ready.type).toBe('session.ready');
      expect(ready).not.toHaveProperty('seq');
      expect(ready.lastSeq).toBe(lastSeq);
      expect(ready.session).toMatchObject({ id, lastSeq, status: expect.any(String) });
      expect(whole.frames.slice(1, lastSeq + 1)).toEqual(log);
    } finally {
      await whole.close();
    }

    const after = 3;
    const partial = await connectWs(`${server.wsUrl}/ws?session=${id}&after=${after}`);
    try {
      await partial.waitFor((frame) => frame.seq === lastSeq);
      expect(partial.frames[0]!.type).toBe('session.ready');
      expect(partial.frames.slice(1)).toEqual(log.filter((entry) => entry.seq > after));
    } finally {
      await partial.close();
    }
  });

  it('WS: ack is {type, clientMessageId?, messageId, seq} with seq = its message.queued; a resend with the same clientMessageId (WS or HTTP) is queued once', async () => {
    const client = await connectWs(`${server.wsUrl}/ws`);
    try {
      const ready = await client.waitFor((frame) => frame.type === 'session.ready');
      const id = (ready.session as { id: string }).id;
      client.send({ type: 'message', content: 'first', clientMessageId: 'dup-1' });
      const ack = await client.waitFor((frame) => frame.type === 'ack');
      expect(Object.keys(ack).sort()).toEqual(['clientMessageId', 'messageId', 'seq', 'type']);
      expect(ack).toMatchObject({
        clientMessageId: 'dup-1',
        messageId: expect.any(String),
        seq: expect.any(Number),
      });

      client.send({ type: 'message', content: 'first (resent)', clientMessageId: 'dup-1' });
      client.send({ type: 'message', content: 'no client id' });
      await client.waitFor((frame) => frame.type === 'ack' && frame.messageId !== ack.messageId);
      const acks = client.frames.filter((frame) => frame.type === 'ack');
      expect(acks).toHaveLength(3);
      expect(acks[1]).toEqual(ack);
      expect(Object.keys(acks[2]!).sort()).toEqual(['messageId', 'seq', 'type']);

      const viaHttp = await request(base, 'POST', `/v1/sessions/${id}/messages`, {
        content: 'first (resent over HTTP)',
        clientMessageId: 'dup-1',
      });
      expect(viaHttp.status).toBe(202);
      expect(viaHttp.body).toEqual({ messageId: ack.messageId, seq: ack.seq });

      const httpFirst = await request(base, 'POST', `/v1/sessions/${id}/messages`, {
        content: 'over http',
        clientMessageId: 'http-1',
      });
      const httpAgain = await request(base, 'POST', `/v1/sessions/${id}/messages`, {
        content: 'over http again',
        clientMessageId: 'http-1',
      });
      expect(httpFirst.status).toBe(202);
      expect(Object.keys(httpFirst.body as object).sort()).toEqual(['messageId', 'seq']);
      expect(httpAgain).toMatchObject({ status: 202, body: httpFirst.body });

      const log = await waitForLog(base, id, (entries) => endedCount(entries) === 3);
      const queued = log.filter((entry) => entry.type === 'message.queued');
      expect(queued).toHaveLength(3);
      // The ack's seq is that of the message.queued entry, which carries the contract's fields.
      expect(log.find((entry) => entry.seq === ack.seq)).toEqual({
        type: 'message.queued',
        seq: ack.seq,
        messageId: ack.messageId,
        clientMessageId: 'dup-1',
        content: 'first',
        policy: 'enqueue',
      });
      const secondAck = acks[2]!;
      expect(log.find((entry) => entry.seq === secondAck.seq)).toMatchObject({
        type: 'message.queued',
        messageId: secondAck.messageId,
      });
      expect(log.find((entry) => entry.seq === secondAck.seq)).not.toHaveProperty(
        'clientMessageId',
      );
      const httpId = (httpFirst.body as { messageId: string }).messageId;
      for (const messageId of [ack.messageId, secondAck.messageId, httpId]) {
        const started = log.filter(
          (entry) => entry.type === 'message.started' && entry.messageId === messageId,
        );
        expect(started).toHaveLength(1);
        const ended = log.filter(
          (entry) => entry.type === 'turn.ended' && entry.messageId === messageId,
        );
        expect(ended).toHaveLength(1);
        expect(ended[0]!.seq).toBeGreaterThan(started[0]!.seq);
      }
      // Enqueued messages run in the order they were accepted.
      const startedOrder = log
        .filter((entry) => entry.type === 'message.started')
        .map((entry) => entry.messageId);
      expect(startedOrder).toEqual([ack.messageId, secondAck.messageId, httpId]);
    } finally {
      await client.close();
    }
  });

  it("turn.ended {messageId, outcome, costUsd, durationMs}: costUsd is the turn's own cost, not the cumulative one; session.status values are the contract's", async () => {
    const id = await createSession(base);
    for (const content of ['[[tokens:2000:1000]] one', '[[tokens:2000:1000]] two']) {
      expect((await request(base, 'POST', `/v1/sessions/${id}/messages`, { content })).status).toBe(
        202,
      );
    }
    const log = await waitForLog(base, id, (entries) => endedCount(entries) === 2);
    const ended = log.filter((entry) => entry.type === 'turn.ended');
    for (const entry of ended) {
      expect(Object.keys(entry).sort()).toEqual(
        expect.arrayContaining(['costUsd', 'durationMs', 'messageId', 'outcome', 'seq', 'type']),
      );
      expect(entry.outcome).toBe('success');
      expect(entry.durationMs).toEqual(expect.any(Number));
      expect(entry.costUsd).toBeGreaterThan(0);
    }
    // Same tokens, same price: the second turn must not include the first one's cost.
    expect(ended[1]!.costUsd).toBeCloseTo(ended[0]!.costUsd as number, 10);
    const results = log.filter((entry) => entry.type === 'result');
    expect(results).toHaveLength(2);

    const statuses = log
      .filter((entry) => entry.type === 'session.status')
      .map((entry) => entry.status);
    expect(statuses.length).toBeGreaterThan(0);
    for (const status of statuses) expect(STATUSES).toContain(status);
    expect(statuses).toContain('running');
    expect(statuses[statuses.length - 1]).toBe('idle');
  });

  it('policies: reject while busy -> WS error SESSION_BUSY / HTTP 409; interrupt cuts the turn (outcome interrupted) and runs; reject when idle is accepted', async () => {
    const client = await connectWs(`${server.wsUrl}/ws`);
    try {
      const ready = await client.waitFor((frame) => frame.type === 'session.ready');
      const id = (ready.session as { id: string }).id;
      client.send({
        type: 'message',
        content: '[[slow:5000]] busy for a while',
        clientMessageId: 'slow',
      });
      const slowAck = await client.waitFor((frame) => frame.type === 'ack');
      await client.waitFor((frame) => frame.type === 'message.started');

      client.send({
        type: 'message',
        content: 'not now',
        policy: 'reject',
        clientMessageId: 'rej',
      });
      const refused = await client.waitFor((frame) => frame.type === 'error');
      expect(refused).toMatchObject({
        code: 'SESSION_BUSY',
        error: expect.any(String),
        clientMessageId: 'rej',
      });
      expect(refused).not.toHaveProperty('seq');
      const busy = await request(base, 'POST', `/v1/sessions/${id}/messages`, {
        content: 'nor now',
        policy: 'reject',
      });
      expect(busy.status).toBe(409);
      expect(busy.body).toEqual({ error: expect.any(String), code: 'SESSION_BUSY' });

      const started = Date.now();
      const cut = await request(base, 'POST', `/v1/sessions/${id}/messages`, {
        content: 'me first',
        policy: 'interrupt',
      });
      expect(cut.status).toBe(202);
      const cutId = (cut.body as { messageId: string }).messageId;
      const log = await waitForLog(base, id, (entries) =>
        entries.some((entry) => entry.type === 'turn.ended' && entry.messageId === cutId),
      );
      expect(Date.now() - started).toBeLessThan(4_500);
      expect(
        log.find((entry) => entry.type === 'turn.ended' && entry.messageId === slowAck.messageId),
      ).toMatchObject({
        outcome: 'interrupted',
      });
      expect(
        log.find((entry) => entry.type === 'turn.ended' && entry.messageId === cutId),
      ).toMatchObject({
        outcome: 'success',
      });
      expect(log.filter((entry) => entry.type === 'message.queued')).toHaveLength(2);
      expect(log.find((entry) => entry.seq === (cut.body as { seq: number }).seq)).toMatchObject({
        type: 'message.queued',
        policy: 'interrupt',
      });

      const idle = await request(base, 'POST', `/v1/sessions/${id}/messages`, {
        content: 'now is fine',
        policy: 'reject',
      });
      expect(idle.status).toBe(202);
    } finally {
      await client.close();
    }
  });

  it('HTTP statuses: 201 create, 200 get, 202 interrupt/reset (reset logged), 204 delete then 404; every error is {error, code} with its status', async () => {
    const created = await request(base, 'POST', '/v1/sessions', { title: 'statuses' });
    expect(created.status).toBe(201);
    const session = created.body as { id: string; status: string; lastSeq: number };
    expect(session).toMatchObject({ title: 'statuses', status: 'idle', lastSeq: 0 });
    const id = session.id;
    expect(await request(base, 'GET', `/v1/sessions/${id}`)).toMatchObject({
      status: 200,
      body: { id },
    });
    expect((await request(base, 'POST', `/v1/sessions/${id}/interrupt`)).status).toBe(202);
    expect((await request(base, 'POST', `/v1/sessions/${id}/reset`)).status).toBe(202);
    const log = await waitForLog(base, id, (entries) =>
      entries.some((entry) => entry.type === 'session.reset'),
    );
    expect(log.filter((entry) => entry.type === 'session.reset')).toHaveLength(1);

    const errorCases: Array<[string, string, unknown, number, string]> = [
      ['POST', `/v1/sessions/${id}/messages`, '{not json', 400, 'BAD_REQUEST'],
      ['POST', `/v1/sessions/${id}/messages`, { content: '' }, 400, 'BAD_REQUEST'],
      [
        'POST',
        `/v1/sessions/${id}/messages`,
        { content: 'x', policy: 'later' },
        400,
        'BAD_REQUEST',
      ],
      ['POST', `/v1/sessions/${id}/permissions/nope`, { behavior: 'maybe' }, 400, 'BAD_REQUEST'],
      [
        'POST',
        `/v1/sessions/${id}/permissions/nope`,
        { behavior: 'allow' },
        404,
        'PERMISSION_NOT_FOUND',
      ],
      ['GET', `/v1/sessions/${id}/events?after=abc`, undefined, 400, 'BAD_REQUEST'],
      ['GET', '/v1/sessions?limit=0', undefined, 400, 'BAD_REQUEST'],
      ['GET', '/v1/sessions/does-not-exist', undefined, 404, 'SESSION_NOT_FOUND'],
      ['POST', '/v1/sessions/does-not-exist/messages', { content: 'x' }, 404, 'SESSION_NOT_FOUND'],
      ['GET', '/v1/nothing-here', undefined, 404, 'NOT_FOUND'],
    ];
    for (const [method, path, body, status, code] of errorCases) {
      const response = await request(base, method, path, body);
      expect([method, path, response.status]).toEqual([method, path, status]);
      expect(response.body).toEqual({ error: expect.any(String), code });
    }

    const deleted = await request(base, 'DELETE', `/v1/sessions/${id}`);
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    for (const path of [`/v1/sessions/${id}`, `/v1/sessions/${id}/events`]) {
      const gone = await request(base, 'GET', path);
      expect(gone.status).toBe(404);
      expect(gone.body).toEqual({ error: expect.any(String), code: 'SESSION_NOT_FOUND' });
    }
    expect(
      (
        (await request(base, 'GET', '/v1/sessions?limit=100')).body as {
          items: Array<{ id: string }>;
        }
      ).items.map((item) => item.id),
    ).not.toContain(id);
  });

  it('GET /events: a JSON page of seq > after (limit honoured, lastSeq given); SSE frames id/event/data and resumes from after or Last-Event-ID', async () => {
    const id = await createSession(base);
    await request(base, 'POST', `/v1/sessions/${id}/messages`, { content: 'for the pages' });
    const log = await waitForLog(base, id, (entries) => endedCount(entries) === 1);
    const lastSeq = log[log.length - 1]!.seq;

    const page = await request(base, 'GET', `/v1/sessions/${id}/events?after=2&limit=3`);
    expect(page.status).toBe(200);
    expect(page.body).toEqual({ entries: log.slice(2, 5), lastSeq });
    const defaultPage = (await request(base, 'GET', `/v1/sessions/${id}/events`)).body as {
      entries: Entry[];
    };
    expect(defaultPage.entries).toEqual(log);

    const byAfter = await readSse(`${base}/v1/sessions/${id}/events?after=4`, {
      until: (events) => events.some((event) => Number(event.id) === lastSeq),
    });
    expect(byAfter.status).toBe(200);
    expect(
      byAfter.events.map((event) => ({
        id: Number(event.id),
        event: event.event,
        data: JSON.parse(event.data),
      })),
    ).toEqual(
      log
        .filter((entry) => entry.seq > 4)
        .map((entry) => ({ id: entry.seq, event: entry.type, data: entry })),
    );
    const byHeader = await readSse(`${base}/v1/sessions/${id}/events`, {
      headers: { 'last-event-id': '5' },
      until: (events) => events.some((event) => Number(event.id) === lastSeq),
    });
    expect(byHeader.events.map((event) => Number(event.id))).toEqual(
      log.filter((entry) => entry.seq > 5).map((entry) => entry.seq),
    );
    const response = await fetch(`${base}/v1/sessions/${id}/events`, {
      headers: { accept: 'text/event-stream' },
    });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    await response.body?.cancel();
  });

  it('WS: an unknown session gets an error frame then close 4404; content may be an array of content blocks', async () => {
    const unknown = await connectWs(`${server.wsUrl}/ws?session=no-such-session`);
    const closed = await unknown.closed;
    expect(closed.code).toBe(4404);
    expect(unknown.frames).toEqual([
      { type: 'error', error: expect.any(String), code: 'SESSION_NOT_FOUND' },
    ]);

    const client = await connectWs(`${server.wsUrl}/ws`);
    try {
      await client.waitFor((frame) => frame.type === 'session.ready');
      client.send({ type: 'message', content: [{ type: 'text', text: 'blocks are fine' }] });
      const result = await client.waitFor((frame) => frame.type === 'result');
      expect(JSON.stringify(result)).toContain('blocks are fine');
    } finally {
      await client.close();
    }
  });
});

describe('wire contract: keys, tenants and pagination', () => {
  const alphaKey = 'alpha-contract-key-0123';
  const betaKey = 'beta-contract-key-0123';
  const alpha = { authorization: `Bearer ${alphaKey}` };
  const beta = { authorization: `Bearer ${betaKey}` };
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(
      {},
      { env: { AGENT_SESSIONS_KEYS: `alpha:${alphaKey},beta:${betaKey}` } },
    );
  });
  afterAll(async () => {
    await server?.close();
  });

  it('Bearer header and token= both open /ws; GET /v1/sessions pages through own sessions only', async () => {
    const byHeader = await connectWs(`${server.wsUrl}/ws`, { headers: alpha });
    const ready = await byHeader.waitFor((frame) => frame.type === 'session.ready');
    const wsSession = (ready.session as { id: string }).id;
    await byHeader.close();
    const byToken = await connectWs(`${server.wsUrl}/ws?session=${wsSession}&token=${alphaKey}`);
    expect(
      (await byToken.waitFor((frame) => frame.type === 'session.ready')).session,
    ).toMatchObject({ id: wsSession });
    await byToken.close();

    const mine = [wsSession];
    for (let index = 0; index < 4; index++) mine.push(await createSession(server.url, alpha));
    const theirs = await createSession(server.url, beta);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
      const page = await request(
        server.url,
        'GET',
        `/v1/sessions?limit=2${query}`,
        undefined,
        alpha,
      );
      expect(page.status).toBe(200);
      const body = page.body as { items: Array<{ id: string }>; nextCursor: string | null };
      expect(body.items.length).toBeLessThanOrEqual(2);
      seen.push(...body.items.map((item) => item.id));
      cursor = body.nextCursor;
      pages++;
    } while (cursor !== null && pages < 10);
    expect(pages).toBeGreaterThanOrEqual(3);
    expect([...seen].sort()).toEqual([...mine].sort());
    expect(seen).not.toContain(theirs);

    const unauthorized = await request(server.url, 'GET', '/v1/sessions', undefined, {
      authorization: `Bearer ${alphaKey}x`,
    });
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.body).toEqual({ error: expect.any(String), code: 'UNAUTHORIZED' });
  });
});

describe('wire contract: PORT/HOST/DATA_DIR, runner knobs and ANTHROPIC_* from the environment', () => {
  let dataDir: string;
  let model: Awaited<ReturnType<typeof createScriptedModel>>;
  let running: RunningServer | undefined;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'agent-sessions-contract-'));
    model = await createScriptedModel({ port: 0 });
  });
  afterAll(async () => {
    await running?.close();
    await model?.close();
    await rm(dataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });

  it('listens on PORT/HOST with SQLite in DATA_DIR; uses ANTHROPIC_API_KEY/BASE_URL as given; honours HIBERNATE_AFTER_MS, MAX_LIVE, PERMISSION_MODE', async () => {
    const port = await freePort();
    const config = loadConfig({
      env: {
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        ANTHROPIC_API_KEY: 'sk-ant-contract-test',
        ANTHROPIC_BASE_URL: model.url,
        AGENT_SESSIONS_HIBERNATE_AFTER_MS: '1500',
        AGENT_SESSIONS_MAX_LIVE: '1',
        AGENT_SESSIONS_PERMISSION_MODE: 'acceptEdits',
        LOG_LEVEL: 'warn',
      },
    });
    const lines: string[] = [];
    running = await startServer(config, { print: (line) => lines.push(line) });
    expect(running.url).toBe(`http://127.0.0.1:${port}`);
    expect(running.scriptedModelUrl).toBeNull();
    expect(lines.join('\n')).not.toContain('SCRIPTED MODEL');
    const { existsSync } = await import('node:fs');
    expect(existsSync(join(dataDir, 'agent-sessions.db'))).toBe(true);
    const base = running.url;

    // MAX_LIVE=1: two sessions with concurrent turns never have two CLI processes at once.
    const first = await createSession(base);
    const second = await createSession(base);
    let maxLive = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const text = await (await fetch(`${base}/metrics`)).text();
        const match = /^agent_sessions_live_runners (\d+)$/m.exec(text);
        if (match) maxLive = Math.max(maxLive, Number(match[1]));
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    const file = join(dataDir, 'workspaces', first, 'accepted.txt');
    await request(base, 'POST', `/v1/sessions/${first}/messages`, {
      content: `[[tool:Write:${JSON.stringify({ file_path: file, content: 'edits accepted' })}]]`,
    });
    await request(base, 'POST', `/v1/sessions/${second}/messages`, {
      content: '[[slow:1000]] second',
    });
    const firstLog = await waitForLog(
      base,
      first,
      (entries) => endedCount(entries) === 1,
      {},
      60_000,
    );
    const secondLog = await waitForLog(
      base,
      second,
      (entries) => endedCount(entries) === 1,
      {},
      60_000,
    );
    sampling = false;
    await sampler;
    expect(maxLive).toBe(1);
    expect(secondLog.find((entry) => entry.type === 'turn.ended')).toMatchObject({
      outcome: 'success',
    });

    // PERMISSION_MODE=acceptEdits: the Write ran without asking (the default mode would ask).
    expect(firstLog.some((entry) => entry.type === 'permission.request')).toBe(false);
    expect(firstLog.find((entry) => entry.type === 'turn.ended')).toMatchObject({
      outcome: 'success',
    });
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(file, 'utf8')).toBe('edits accepted');

    // The SDK talked to the given ANTHROPIC_BASE_URL.
    expect(model.requests.some((recorded) => recorded.path === '/v1/messages')).toBe(true);

    // HIBERNATE_AFTER_MS=1500: an idle session's process is closed soon after its turn.
    const hibernated = await waitForLog(
      base,
      second,
      (entries) =>
        entries.some((entry) => entry.type === 'session.status' && entry.status === 'hibernated'),
      {},
      15_000,
    );
    const endedAt = hibernated.findIndex((entry) => entry.type === 'turn.ended');
    expect(hibernated.slice(endedAt).some((entry) => entry.status === 'hibernated')).toBe(true);
    expect(
      ((await request(base, 'GET', `/v1/sessions/${second}`)).body as { status: string }).status,
    ).toBe('hibernated');
  });
});

describe('wire contract: 503 SHUTTING_DOWN, and logs without keys or message bodies', () => {
  it('while shutting down: new requests get 503 {error, code: SHUTTING_DOWN}, /readyz 503, WS clients close with 1001; logs at info hold no key and no content', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'agent-sessions-contract-'));
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, callback) {
        lines.push(String(chunk));
        callback();
      },
    });
    const secretKey = 'sk-very-secret-tenant-key-4242';
    const secretContent = 'my-password-is-hunter2-do-not-log';
    const config = loadConfig({
      env: { AGENT_SESSIONS_KEYS: `acme:${secretKey}` },
      flags: { port: 0, dataDir, maxLive: 2, logLevel: 'info' },
    });
    const running = await startServer(config, {
      store: createMemoryStore(),
      logger: createLogger({ level: 'info', destination }),
      print: () => {},
    });
    try {
      const headers = { authorization: `Bearer ${secretKey}` };
      const client = await connectWs(`${running.url.replace(/^http/, 'ws')}/ws?token=${secretKey}`);
      const ready = await client.waitFor((frame) => frame.type === 'session.ready');
      const id = (ready.session as { id: string }).id;
      client.send({ type: 'message', content: `${secretContent} [[slow:4000]]` });
      await client.waitFor((frame) => frame.type === 'message.started');
      const viaHttp = await request(
        running.url,
        'POST',
        `/v1/sessions/${id}/messages`,
        { content: secretContent },
        headers,
      );
      expect(viaHttp.status).toBe(202);

      const closing = running.close();
      const readyz = await request(running.url, 'GET', '/readyz');
      expect(readyz.status).toBe(503);
      expect(readyz.body).toEqual({ error: expect.any(String), code: 'SHUTTING_DOWN' });
      const refused = await request(running.url, 'GET', '/v1/sessions', undefined, headers);
      expect(refused.status).toBe(503);
      expect(refused.body).toEqual({ error: expect.any(String), code: 'SHUTTING_DOWN' });
      await closing;
      expect((await client.closed).code).toBe(1001);
      // A finished shutdown leaves no agent process behind (the engine waits for each to exit).
      expect(findClaudeProcesses()).toEqual([]);

      const log = lines.join('');
      expect(log).toContain('"level":30');
      expect(log).toContain(id);
      expect(log).not.toContain(secretKey);
      expect(log).not.toContain(secretContent);
      expect(log).not.toContain('hunter2');
    } finally {
      await running.close();
      await rm(dataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    }
  });
});

describe('/metrics behind AGENT_SESSIONS_METRICS_TOKEN', () => {
  const metricsToken = 'metrics-token-0123456789abcdef';
  const apiKey = 'api-key-not-for-metrics-0123';
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(
      {},
      {
        env: { AGENT_SESSIONS_METRICS_TOKEN: metricsToken, AGENT_SESSIONS_KEYS: `acme:${apiKey}` },
      },
    );
  });
  afterAll(async () => {
    await server?.close();
  });

  it('needs the metrics token (an API key is not enough); open probes stay open', async () => {
    for (const headers of [{}, { authorization: `Bearer ${apiKey}` }] as Array<
      Record<string, string>
    >) {
      const refused = await request(server.url, 'GET', '/metrics', undefined, headers);
      expect(refused.status).toBe(401);
      expect(refused.body).toEqual({ error: expect.any(String), code: 'UNAUTHORIZED' });
    }
    const allowed = await fetch(`${server.url}/metrics`, {
      headers: { authorization: `Bearer ${metricsToken}` },
    });
    expect(allowed.status).toBe(200);
    expect(await allowed.text()).toMatch(/^agent_sessions_live_runners \d+$/m);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  });
});
