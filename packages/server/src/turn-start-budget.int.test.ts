import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './test-support/server-harness.js';
import { connectWs } from './test-support/ws-client.js';

// The daily budget is checked twice: when a message is queued (the gateway) and again right
// before its turn starts (the engine), so a message accepted while budget was left does not
// run once earlier turns have spent it.

describe('daily budget at turn start', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ dailyBudgetUsd: 0.000001 });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('cancels a message queued before the budget ran out when its turn would start', async () => {
    const client = await connectWs(`${server.wsUrl}/ws`);
    const ready = await client.waitFor((frame) => frame.type === 'session.ready');
    const id = (ready.session as { id: string }).id;
    client.send({
      type: 'message',
      content: '[[slow:1500]] [[tokens:1000:1000]] spend it all',
      clientMessageId: 'spender',
    });
    await client.waitFor((frame) => frame.type === 'message.started');
    // Still within budget: the first turn has not ended, so this one is accepted and queued.
    client.send({ type: 'message', content: 'queued behind', clientMessageId: 'late' });
    const ack = await client.waitFor(
      (frame) => frame.type === 'ack' && frame.clientMessageId === 'late',
    );
    const first = await client.waitFor((frame) => frame.type === 'turn.ended');
    expect(first.costUsd).toBeGreaterThan(0.000001);

    const cancelled = await client.waitFor(
      (frame) => frame.type === 'message.cancelled' && frame.messageId === ack.messageId,
    );
    expect(cancelled.reason).toBe('BUDGET_EXCEEDED');
    const error = await client.waitFor(
      (frame) => frame.type === 'error' && frame.code === 'BUDGET_EXCEEDED' && 'seq' in frame,
    );
    expect(error.messageId).toBe(ack.messageId);
    await client.waitFor((frame) => frame.type === 'session.status' && frame.status === 'idle');
    // It never started, and only one turn ran.
    const log = (await (await fetch(`${server.url}/v1/sessions/${id}/events`)).json()) as {
      entries: Array<{ type: string; messageId?: string }>;
    };
    expect(
      log.entries.filter(
        (entry) => entry.type === 'message.started' && entry.messageId === ack.messageId,
      ),
    ).toEqual([]);
    expect(log.entries.filter((entry) => entry.type === 'turn.ended')).toHaveLength(1);
    const session = (await (await fetch(`${server.url}/v1/sessions/${id}`)).json()) as {
      turnCount: number;
    };
    expect(session.turnCount).toBe(1);
    await client.close();
  }, 60_000);
});
