import { randomUUID } from 'node:crypto';
import { startup as sdkStartup } from '@anthropic-ai/claude-agent-sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryBus } from '../bus/memory-bus.js';
import { createEventLog } from '../log/event-log.js';
import { createTranscriptSessionStore } from '../log/transcript-session-store.js';
import { createMemoryStore } from '../store/memory-store.js';
import { createOfflineFixture, type OfflineFixture } from '../testing/offline-fixture.js';
import { findClaudeProcesses, waitForNoClaudeProcesses } from '../testing/process-table.js';
import { createRunner, type Runner } from './runner.js';
import { buildSdkOptions } from './sdk-options.js';
import { assistantText } from './test-support/engine-harness.js';

let fixture: OfflineFixture | null = null;
let runner: Runner | null = null;

afterEach(async () => {
  await runner?.close();
  // close() resolving means the runner's processes are gone: checked at once, not polled.
  const leftAtClose = findClaudeProcesses();
  await waitForNoClaudeProcesses(10_000);
  await fixture?.cleanup();
  runner = null;
  fixture = null;
  expect(leftAtClose).toEqual([]);
});

describe('runner', () => {
  it('falls back to query() when the SDK startup() of a pre-warm fails', async () => {
    fixture = await createOfflineFixture();
    const store = createMemoryStore();
    const eventLog = createEventLog({ store, bus: createMemoryBus() });
    const session = await store.createSession({ id: randomUUID(), tenantId: 't' });
    const startupErrors: string[] = [];
    const model = fixture.model;
    const env = fixture.env;
    const cwd = fixture.workspace;
    runner = createRunner({
      sessionId: session.id,
      store,
      eventLog,
      sessionStore: createTranscriptSessionStore(store),
      sdkOptions: () => buildSdkOptions({ env, permissionMode: 'default' }, {}, cwd),
      // The real startup(), given no time to initialize: it really fails (a timeout).
      startup: async (params) => {
        try {
          return await sdkStartup({ ...params, initializeTimeoutMs: 1 });
        } catch (error) {
          startupErrors.push(String(error));
          throw error;
        }
      },
    });
    expect(await runner.warm()).toBe(false);
    expect(startupErrors).toHaveLength(1);
    expect(runner.isLive()).toBe(false);
    expect(findClaudeProcesses().filter((entry) => entry.command.includes(session.id))).toEqual([]);

    await eventLog.append(session.id, {
      entries: [
        {
          type: 'message.queued',
          messageId: 'm1',
          content: 'after a failed warm-up',
          policy: 'enqueue',
        },
      ],
      mutations: [
        {
          kind: 'inbox.insert',
          message: {
            id: 'm1',
            clientMessageId: null,
            content: 'after a failed warm-up',
            policy: 'enqueue',
            createdAt: Date.now(),
          },
        },
      ],
    });
    runner.wake();
    await runner.whenIdle();
    const entries = await store.readLog(session.id);
    const ended = entries.filter((entry) => entry.type === 'turn.ended');
    expect(ended.map((entry) => [entry.messageId, entry.outcome])).toEqual([['m1', 'success']]);
    expect(assistantText(entries)).toBe('Echo: after a failed warm-up');
    expect(model.requests.some((request) => request.userText === 'after a failed warm-up')).toBe(
      true,
    );
    // The turn ran in a process started by query(): still alive for the next turn.
    expect(runner.isLive()).toBe(true);
  });
});
