import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './test-support/server-harness.js';
import { readSse } from './test-support/sse-client.js';
import { connectWs } from './test-support/ws-client.js';

const toolTurn = (file: string) =>
  `[[tool:Bash:${JSON.stringify({ command: `echo permission-granted-42 > ${file} && cat ${file}` })}]]`;

describe('permission round trips (AGENT_SESSIONS_PERMISSION_MODE=default)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({}, { env: { AGENT_SESSIONS_PERMISSION_MODE: 'default' } });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('over WebSocket: permission.request -> {type:"permission", allow} -> the tool runs', async () => {
    const client = await connectWs(`${server.wsUrl}/ws`);
    try {
      await client.waitFor((frame) => frame.type === 'session.ready');
      client.send({ type: 'message', content: toolTurn('granted.txt') });
      const request = await client.waitFor((frame) => frame.type === 'permission.request');
      expect(request.toolName).toBe('Bash');
      expect(String((request.input as { command: string }).command)).toContain('granted.txt');
      client.send({ type: 'permission', requestId: request.requestId, behavior: 'allow' });
      const resolved = await client.waitFor((frame) => frame.type === 'permission.resolved');
      expect(resolved).toMatchObject({ requestId: request.requestId, behavior: 'allow' });
      const result = await client.waitFor((frame) => frame.type === 'result');
      expect(JSON.stringify(result)).toContain('Tool Bash done: permission-granted-42');
      // The agent worked in the session's own workspace folder.
      const sessionId = (client.frames[0]!.session as { id: string }).id;
      expect(
        readFileSync(join(server.dataDir, 'workspaces', sessionId, 'granted.txt'), 'utf8'),
      ).toBe('permission-granted-42\n');

      // Answering the same request twice is an error frame, and the connection stays usable.
      client.send({ type: 'permission', requestId: request.requestId, behavior: 'deny' });
      const error = await client.waitFor((frame) => frame.type === 'error');
      expect(error.code).toBe('PERMISSION_NOT_FOUND');
      client.send({ type: 'ping' });
      await client.waitFor((frame) => frame.type === 'pong');
    } finally {
      await client.close();
    }
  });

  it('over HTTP: POST /v1/sessions/:id/permissions/:requestId denies, the agent sees the denial', async () => {
    const create = await fetch(`${server.url}/v1/sessions`, { method: 'POST' });
    const { id } = (await create.json()) as { id: string };
    const post = await fetch(`${server.url}/v1/sessions/${id}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ content: toolTurn('denied.txt') }),
    });
    expect(post.status).toBe(202);
    const upToRequest = await readSse(`${server.url}/v1/sessions/${id}/events`, {
      until: (events) => events.some((event) => event.event === 'permission.request'),
    });
    const request = JSON.parse(
      upToRequest.events.find((event) => event.event === 'permission.request')!.data,
    ) as {
      requestId: string;
    };
    const answer = await fetch(`${server.url}/v1/sessions/${id}/permissions/${request.requestId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ behavior: 'deny', message: 'not today' }),
    });
    expect(answer.status).toBe(200);
    const rest = await readSse(`${server.url}/v1/sessions/${id}/events`, {
      // The last event WITH an id (live `stream_event`s have none), as EventSource tracks it.
      headers: { 'last-event-id': upToRequest.events.filter((event) => event.id).at(-1)!.id! },
      until: (events) => events.some((event) => event.event === 'turn.ended'),
    });
    const resolved = rest.events.find((event) => event.event === 'permission.resolved');
    expect(JSON.parse(resolved!.data)).toMatchObject({
      requestId: request.requestId,
      behavior: 'deny',
    });
    expect(existsSync(join(server.dataDir, 'workspaces', id, 'denied.txt'))).toBe(false);

    const again = await fetch(`${server.url}/v1/sessions/${id}/permissions/${request.requestId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ behavior: 'allow' }),
    });
    expect(again.status).toBe(404);
    expect(await again.json()).toMatchObject({ code: 'PERMISSION_NOT_FOUND' });
  });
});
