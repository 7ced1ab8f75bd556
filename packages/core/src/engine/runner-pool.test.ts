import { describe, expect, it } from 'vitest';
import type { Runner } from './runner.js';
import { createRunnerPool } from './runner-pool.js';

// The pool's bookkeeping with stand-in runners (no SDK involved): which runner is evicted,
// and that a busy runner is never evicted.

interface FakeRunner extends Runner {
  busy: boolean;
  hibernated: boolean;
  setBusy(busy: boolean): void;
}

function createFakeRunners() {
  const runners = new Map<string, FakeRunner>();
  const create = (sessionId: string, onActivity: (busy: boolean) => void): Runner => {
    const runner: FakeRunner = {
      sessionId,
      busy: false,
      hibernated: false,
      setBusy(busy) {
        runner.busy = busy;
        onActivity(busy);
      },
      wake: () => undefined,
      isBusy: () => runner.busy,
      isLive: () => !runner.hibernated,
      whenIdle: async () => undefined,
      startNow: () => null,
      warm: async () => true,
      interrupt: async () => false,
      reset: async () => undefined,
      answerPermission: async () => false,
      hibernate: async () => {
        if (runner.busy) throw new Error('busy');
        runner.hibernated = true;
      },
      close: async () => {
        runner.hibernated = true;
      },
    };
    runners.set(sessionId, runner);
    return runner;
  };
  return { runners, create };
}

describe('createRunnerPool', () => {
  it('evicts the least recently used idle runner when full', async () => {
    const { runners, create } = createFakeRunners();
    const pool = createRunnerPool({ maxLive: 2, hibernateAfterMs: 60_000, createRunner: create });
    await pool.acquire('a');
    await pool.acquire('b');
    await pool.acquire('a'); // a is now more recent than b
    await pool.acquire('c');
    expect(runners.get('b')?.hibernated).toBe(true);
    expect(runners.get('a')?.hibernated).toBe(false);
    expect(pool.get('b')).toBeUndefined();
    expect(pool.size()).toBe(2);
    await pool.shutdown();
  });

  it('never evicts a busy runner; a new start waits for one to go idle', async () => {
    const { runners, create } = createFakeRunners();
    const pool = createRunnerPool({ maxLive: 1, hibernateAfterMs: 60_000, createRunner: create });
    await pool.acquire('a');
    runners.get('a')?.setBusy(true);
    let acquired = false;
    const waiting = pool.acquire('b').then(() => {
      acquired = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(acquired).toBe(false);
    expect(runners.get('a')?.hibernated).toBe(false);
    expect(await pool.acquire('c', { noWait: true })).toBeNull();
    runners.get('a')?.setBusy(false);
    await waiting;
    expect(acquired).toBe(true);
    expect(runners.get('a')?.hibernated).toBe(true);
    expect(pool.size()).toBe(1);
    await pool.shutdown();
  });

  it('hibernates a runner after the idle timeout', async () => {
    const { runners, create } = createFakeRunners();
    const pool = createRunnerPool({ maxLive: 2, hibernateAfterMs: 30, createRunner: create });
    await pool.acquire('a');
    runners.get('a')?.setBusy(true);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(runners.get('a')?.hibernated).toBe(false);
    runners.get('a')?.setBusy(false);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(runners.get('a')?.hibernated).toBe(true);
    expect(pool.size()).toBe(0);
    await pool.shutdown();
  });

  it('a runner whose creation was under way when shutdown() began is never created', async () => {
    const { runners, create } = createFakeRunners();
    const pool = createRunnerPool({ maxLive: 2, hibernateAfterMs: 60_000, createRunner: create });
    // The slot is reserved at once; the runner would be created a few microtasks later, after
    // shutdown() has listed the runners to close: it would have been left running.
    const acquiring = pool.acquire('a', { wake: true });
    const stopping = pool.shutdown();
    await expect(acquiring).rejects.toMatchObject({ code: 'SHUTTING_DOWN' });
    await stopping;
    expect([...runners.values()].filter((runner) => !runner.hibernated)).toEqual([]);
    expect(pool.size()).toBe(0);
  });

  it('shutdown() closes a runner whose pending hibernation found it busy', async () => {
    const { runners, create } = createFakeRunners();
    const pool = createRunnerPool({ maxLive: 2, hibernateAfterMs: 60_000, createRunner: create });
    await pool.acquire('a');
    const runner = runners.get('a') as FakeRunner;
    let refuse!: () => void;
    runner.hibernate = () =>
      new Promise<void>((_resolve, reject) => {
        refuse = () => reject(new Error('busy'));
      });
    const hibernating = pool.hibernate('a');
    const stopping = pool.shutdown();
    // A message arrived meanwhile: the hibernation gives up and the runner stays live.
    runner.busy = true;
    refuse();
    expect(await hibernating).toBe(false);
    await stopping;
    expect(runner.hibernated).toBe(true);
  });

  it('refuses work after shutdown', async () => {
    const { create } = createFakeRunners();
    const pool = createRunnerPool({ maxLive: 1, hibernateAfterMs: 60_000, createRunner: create });
    await pool.shutdown();
    await expect(pool.acquire('a')).rejects.toMatchObject({ code: 'SHUTTING_DOWN' });
  });
});
