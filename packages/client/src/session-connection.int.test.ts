import type { LogEntry } from '@agent-sessions/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTcpProxy, type TcpProxy } from '../../../e2e/support/tcp-proxy.js';
import { startTestServer, type TestServer } from '../../../e2e/support/test-server.js';
import { assembleConversation } from './assemble-conversation.js';
import { createClient } from './create-client.js';
import type { SessionConnection } from './session-connection.js';

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

let server: TestServer | undefined;
let proxy: TcpProxy | undefined;
let connection: SessionConnection | undefined;
afterEach(async () => {
  connection?.close();
  await proxy?.close();
  await server?.close();
  connection = undefined;
  proxy = undefined;
  server = undefined;
});

describe('client against a real server', () => {
  it('delivers exactly the server log when the connection is cut mid-turn and the server restarts', async () => {
    server = await startTestServer();
    proxy = await startTcpProxy(server.port);
    const client = createClient({ url: proxy.url, WebSocket });
    const session = await client.createSession();
    connection = client.session(session.id).connect({ backoff: { initialMs: 50, maxMs: 400 } });
    const delivered: LogEntry[] = [];
    const states: string[] = [];
    connection.on('entry', (entry) => delivered.push(entry));
    connection.on('state', (state) => states.push(state));
    const ended = () => delivered.filter((entry) => entry.type === 'turn.ended').length;

    const prompts = ['[[slow:1500]] first', '[[slow:1500]] second', '[[slow:1500]] third'];
    const acks = await Promise.all(prompts.map((prompt) => connection!.send(prompt)));
    expect(new Set(acks.map((ack) => ack.messageId)).size).toBe(3);

    // Cut the connection while turns are running, five times.
    let cuts = 0;
    while (cuts < 5) {
      await waitFor(() => connection!.state === 'open', 10_000, 'the reconnect');
      await sleep(250);
      if (proxy.cutAll() > 0) cuts += 1;
    }
    await waitFor(() => ended() >= 1, 30_000, 'the first turn to end');
    // Restart the server on the same port and data dir, mid-turn.
    await waitFor(() => delivered.at(-1)?.type !== 'turn.ended', 10_000, 'a turn to be running');
    await server.stop();
    await sleep(300);
    await server.start();
    await waitFor(
      () =>
        acks.every((ack) =>
          delivered.some(
            (entry) =>
              (entry.type === 'turn.ended' || entry.type === 'message.cancelled') &&
              entry.messageId === ack.messageId,
          ),
        ),
      45_000,
      'every message to end',
    );
    await sleep(500);

    const direct = createClient({ url: server.url });
    const log = await direct.getAllEvents(session.id);
    expect(delivered.map((entry) => entry.seq)).toEqual(log.map((_, index) => index + 1));
    expect(delivered).toEqual(log);
    expect(assembleConversation(delivered)).toEqual(assembleConversation(log));
    expect(states.filter((state) => state === 'reconnecting').length).toBeGreaterThanOrEqual(6);
    // Every turn the client assembled has its user text and an outcome.
    const view = assembleConversation(delivered);
    expect(view.turns.map((turn) => turn.userText)).toEqual(
      prompts.filter((prompt) => view.turns.some((turn) => turn.userText === prompt)),
    );
    expect(view.turns.every((turn) => turn.outcome !== 'running')).toBe(true);
  }, 120_000);

  it('delivers a send made during a disconnect once, even when its ack is lost', async () => {
    server = await startTestServer();
    proxy = await startTcpProxy(server.port);
    const client = createClient({ url: proxy.url, WebSocket });
    const session = await client.createSession();
    connection = client.session(session.id).connect({ backoff: { initialMs: 50, maxMs: 300 } });
    const states: string[] = [];
    connection.on('state', (state) => states.push(state));
    await waitFor(() => connection!.state === 'open', 10_000, 'the connection');

    await server.stop();
    await waitFor(() => connection!.state === 'reconnecting', 5_000, 'the disconnect');
    const sent = connection.send('[[reply:once]] sent while down', { clientMessageId: 'down-1' });
    // The frame goes out right after the reconnect; the proxy drops the answer, so the
    // client must resend it on the next connection with the same id.
    proxy.cutAfterNextClientData();
    await server.start();
    const ack = await sent;
    expect(ack.clientMessageId).toBe('down-1');
    expect(states.filter((state) => state === 'open').length).toBeGreaterThanOrEqual(3);

    await waitFor(() => connection!.lastSeq > 0, 5_000, 'entries');
    const direct = createClient({ url: server.url });
    let log: LogEntry[] = [];
    for (
      let tries = 0;
      tries < 120 && !log.some((entry) => entry.type === 'turn.ended');
      tries += 1
    ) {
      await sleep(250);
      log = await direct.getAllEvents(session.id);
    }
    const queued = log.filter(
      (entry) => entry.type === 'message.queued' && entry.clientMessageId === 'down-1',
    );
    expect(queued).toHaveLength(1);
    expect(queued[0]!.seq).toBe(ack.seq);
    const view = assembleConversation(log);
    expect(view.turns.map((turn) => [turn.userText, turn.text])).toEqual([
      ['[[reply:once]] sent while down', 'once'],
    ]);
  }, 90_000);
});
