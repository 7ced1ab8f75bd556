import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryBus } from '../bus/memory-bus.js';
import { createMemoryStore } from '../store/memory-store.js';
import type { Store } from '../store/store.js';
import { createSessionService, type SessionService } from './session-service.js';

// Command validation and retention, without starting any agent: messages are queued directly
// in the store so no runner is woken.

let root: string;
let store: Store;
let service: SessionService;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'engine-service-'));
  store = createMemoryStore();
  service = createSessionService({
    store,
    bus: createMemoryBus(),
    workspaceRoot: root,
    agent: { env: {} },
    maxLive: 1,
    hibernateAfterMs: 60_000,
    maxQueuedPerSession: 2,
  });
});

afterEach(async () => {
  await service.shutdown();
  await rm(root, { recursive: true, force: true });
});

async function queueDirectly(sessionId: string, count: number): Promise<void> {
  for (let index = 0; index < count; index++) {
    const id = `queued-${index}`;
    await store.commit(sessionId, {
      entries: [{ type: 'message.queued', messageId: id, content: 'x', policy: 'enqueue' }],
      mutations: [
        {
          kind: 'inbox.insert',
          message: { id, clientMessageId: null, content: 'x', policy: 'enqueue', createdAt: 1 },
        },
      ],
    });
  }
}

describe('createSessionService commands', () => {
  it('creates, gets and lists sessions per tenant', async () => {
    const first = await service.createSession('tenant-a', {
      title: 'one',
      options: { model: 'sonnet', env: { LEAK: '1' } },
    });
    await service.createSession('tenant-b');
    expect(first.options).toEqual({ model: 'sonnet' });
    expect((await service.getSession(first.id))?.title).toBe('one');
    const page = await service.listSessions('tenant-a', { limit: 10 });
    expect(page.items.map((session) => session.id)).toEqual([first.id]);
  });

  it('refuses bad input, unknown sessions, busy rejects and full queues', async () => {
    const session = await service.createSession('tenant-a');
    await expect(service.sendMessage(session.id, { content: '  ' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
    await expect(service.sendMessage('missing', { content: 'hi' })).rejects.toMatchObject({
      code: 'SESSION_NOT_FOUND',
    });
    await expect(
      service.createSession('tenant-a', { options: { permissionMode: 'bypassPermissions' } }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await queueDirectly(session.id, 2);
    await expect(
      service.sendMessage(session.id, { content: 'hi', policy: 'reject' }),
    ).rejects.toMatchObject({ code: 'SESSION_BUSY' });
    await expect(service.sendMessage(session.id, { content: 'hi' })).rejects.toMatchObject({
      code: 'QUEUE_FULL',
    });
    await expect(
      service.answerPermission(session.id, 'nope', { behavior: 'allow' }),
    ).rejects.toMatchObject({ code: 'PERMISSION_NOT_FOUND' });
  });

  it('cleanup deletes sessions inactive longer than maxAge, with their workspace', async () => {
    const old = await store.createSession({
      id: 'old-session',
      tenantId: 't',
      now: Date.now() - 10_000,
    });
    const fresh = await service.createSession('t');
    await mkdir(join(root, old.id), { recursive: true });
    expect(await service.cleanup(5_000)).toEqual([old.id]);
    expect(await store.getSession(old.id)).toBeNull();
    expect(existsSync(join(root, old.id))).toBe(false);
    expect(await store.getSession(fresh.id)).not.toBeNull();
  });

  it('cleanup keeps an inactive-looking session that still has work queued', async () => {
    const old = await store.createSession({
      id: 'old-with-work',
      tenantId: 't',
      now: Date.now() - 10_000,
    });
    // Queued (say, by another node) but not started yet: lastActiveAt alone says "inactive".
    await queueDirectly(old.id, 1);
    expect(await service.cleanup(5_000)).toEqual([]);
    expect(await store.getSession(old.id)).not.toBeNull();
  });

  it('refuses new work after shutdown', async () => {
    const session = await service.createSession('t');
    await service.shutdown();
    await expect(service.sendMessage(session.id, { content: 'hi' })).rejects.toMatchObject({
      code: 'SHUTTING_DOWN',
    });
  });
});
