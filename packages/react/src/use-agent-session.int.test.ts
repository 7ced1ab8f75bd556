// @vitest-environment happy-dom
import { type AgentSessionsClient, createClient } from '@agent-sessions/client';
import { act, renderHook, waitFor } from '@testing-library/react';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type SpawnedTestServer, spawnTestServer } from '../../../e2e/support/spawn-test-server.js';
import { useAgentSession } from './use-agent-session.js';
import { useAgentStream } from './use-agent-stream.js';

let server: SpawnedTestServer;
let client: AgentSessionsClient;
const slow = { timeout: 30_000, interval: 50 };

beforeAll(async () => {
  // Its own process: the server must not run under the page's (happy-dom) globals.
  server = await spawnTestServer({ permissionMode: 'default' });
  // As in a browser, the page comes from the server itself, so requests are same-origin.
  (
    globalThis as unknown as { window: { happyDOM: { setURL(url: string): void } } }
  ).window.happyDOM.setURL(`${server.url}/`);
  client = createClient({ url: server.url, WebSocket, fetch: globalThis.fetch });
});
afterAll(async () => {
  await server?.close();
});

describe('useAgentSession against a real server', () => {
  it('shows a turn with its tool call, result, cost and the session totals', async () => {
    const session = await client.createSession();
    const { result, unmount } = renderHook(() =>
      useAgentSession({ client, sessionId: session.id }),
    );
    await waitFor(() => expect(result.current.connectionState).toBe('open'), slow);
    expect(result.current.status).toBe('idle');
    await act(() => result.current.send('[[tool:Bash:{"command":"echo hi"}]]'));
    await waitFor(() => expect(result.current.turns[0]?.outcome).toBe('success'), slow);
    const turn = result.current.turns[0]!;
    expect(turn.userText).toBe('[[tool:Bash:{"command":"echo hi"}]]');
    expect(turn.toolCalls).toMatchObject([
      { name: 'Bash', input: { command: 'echo hi' }, status: 'done', result: 'hi' },
    ]);
    expect(turn.text).toBe('Tool Bash done: hi');
    expect(turn.costUsd).toBeGreaterThan(0);
    expect(turn.usage?.outputTokens).toBeGreaterThan(0);
    await waitFor(() => expect(result.current.status).toBe('idle'), slow);
    expect(result.current.costUsd).toBeCloseTo(turn.costUsd!, 10);
    expect(result.current.isRunning).toBe(false);
    unmount();
  }, 60_000);

  it('surfaces a permission request and continues once it is allowed', async () => {
    const session = await client.createSession();
    const { result, unmount } = renderHook(() =>
      useAgentSession({ client, sessionId: session.id }),
    );
    await waitFor(() => expect(result.current.connectionState).toBe('open'), slow);
    await act(() => result.current.send('[[tool:Bash:{"command":"echo hi > out.txt"}]]'));
    await waitFor(() => expect(result.current.pendingPermissions).toHaveLength(1), slow);
    const request = result.current.pendingPermissions[0]!;
    expect(request).toMatchObject({ toolName: 'Bash', input: { command: 'echo hi > out.txt' } });
    expect(result.current.status).toBe('waiting_permission');
    await act(() => result.current.respondToPermission(request.requestId, 'allow'));
    await waitFor(() => expect(result.current.turns[0]?.outcome).toBe('success'), slow);
    expect(result.current.pendingPermissions).toEqual([]);
    expect(result.current.turns[0]!.toolCalls[0]).toMatchObject({
      status: 'done',
      permission: { requestId: request.requestId, behavior: 'allow' },
    });
    unmount();
  }, 60_000);

  it('shows a follow-up as queued while a turn runs, and interrupts the running turn', async () => {
    const session = await client.createSession();
    const { result, unmount } = renderHook(() =>
      useAgentSession({ client, sessionId: session.id }),
    );
    await waitFor(() => expect(result.current.connectionState).toBe('open'), slow);
    await act(() => result.current.send('[[slow:8000]] a long answer'));
    await waitFor(() => expect(result.current.status).toBe('running'), slow);
    await act(() => result.current.send('[[reply:follow-up]] next'));
    await waitFor(
      () =>
        expect(result.current.queued.map((item) => item.userText)).toEqual([
          '[[reply:follow-up]] next',
        ]),
      slow,
    );
    expect(result.current.isRunning).toBe(true);
    await act(() => result.current.interrupt());
    await waitFor(() => expect(result.current.turns[0]?.outcome).toBe('interrupted'), slow);
    await waitFor(() => expect(result.current.turns[1]?.outcome).toBe('success'), slow);
    expect(result.current.turns[1]!.text).toBe('follow-up');
    expect(result.current.queued).toEqual([]);
    unmount();
  }, 60_000);

  it('replays the history of an existing session on mount', async () => {
    const session = await client.createSession();
    const accepted = await client.sendMessage(session.id, '[[reply:from before]] earlier');
    const { result, unmount } = renderHook(() =>
      useAgentSession({ client, sessionId: session.id }),
    );
    await waitFor(() => expect(result.current.turns[0]?.outcome).toBe('success'), slow);
    expect(result.current.turns[0]).toMatchObject({
      messageId: accepted.messageId,
      text: 'from before',
    });
    unmount();
  }, 60_000);
});

describe('useAgentStream (the seed shape)', () => {
  it('creates a session on the first stream() and resolves when the turn has ended', async () => {
    // A warm turn can end between two polls of waitFor, so every render is watched instead.
    let renderedStreaming = false;
    const { result, unmount } = renderHook(() => {
      const stream = useAgentStream({ client });
      if (stream.isStreaming) renderedStreaming = true;
      return stream;
    });
    expect(result.current.isStreaming).toBe(false);
    // Started inside act but awaited outside it: React must render while the turn runs.
    let streamed: Promise<void> = Promise.resolve();
    await act(async () => {
      streamed = result.current.stream('hello stream');
    });
    await waitFor(() => expect(result.current.sessionId).not.toBeNull(), slow);
    await streamed;
    await waitFor(
      () =>
        expect(
          result.current.messages.some(
            (message) =>
              message.type === 'assistant' &&
              JSON.stringify(message).includes('Echo: hello stream'),
          ),
        ).toBe(true),
      slow,
    );
    expect(result.current.messages.some((message) => message.type === 'result')).toBe(true);
    expect(result.current.messages.every((message) => !message.type.includes('.'))).toBe(true);
    expect(result.current.isStreaming).toBe(false);
    renderedStreaming = false;
    await act(async () => {
      streamed = result.current.stream('[[reply:second]] again');
    });
    await streamed;
    expect(renderedStreaming).toBe(true);
    await waitFor(
      () => expect(JSON.stringify(result.current.messages)).toContain('"text":"second"'),
      slow,
    );
    expect(result.current.isStreaming).toBe(false);
    unmount();
  }, 60_000);
});
