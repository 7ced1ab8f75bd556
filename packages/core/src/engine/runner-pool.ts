import { createEngineError } from './engine-error.js';
import { type EngineLogger, silentLogger } from './engine-logger.js';
import type { Runner } from './runner.js';

export interface RunnerPoolOptions {
  /** The most runners (each with a CLI process of ~220 MB) alive at once. */
  maxLive: number;
  /** An idle runner is hibernated after this long without work. */
  hibernateAfterMs: number;
  /** Creates the runner of a session; `onActivity` must be wired to the runner's option. */
  createRunner: (sessionId: string, onActivity: (busy: boolean) => void) => Runner;
  logger?: EngineLogger;
}

export interface AcquireOptions {
  /** Wake the runner (work through its inbox) as soon as it holds a slot. */
  wake?: boolean;
  /** Give up instead of waiting when every slot is held by a busy runner (returns null). */
  noWait?: boolean;
}

/**
 * Live runners as a bounded LRU cache. A slot is held from the moment a runner is created until
 * its process has closed, so the number of CLI processes never exceeds `maxLive`. When the cap
 * is reached the least recently used IDLE runner is hibernated to make room; a busy one is never
 * evicted, and if all are busy the caller waits for one to finish.
 */
export interface RunnerPool {
  get(sessionId: string): Runner | undefined;
  acquire(sessionId: string, options?: AcquireOptions & { noWait?: false }): Promise<Runner>;
  acquire(sessionId: string, options: AcquireOptions): Promise<Runner | null>;
  /** Pre-warms the session's process if a slot is free or can be freed now; false otherwise. */
  warm(sessionId: string): Promise<boolean>;
  /** Hibernates an idle session now; false when it has no live runner. Throws SESSION_BUSY. */
  hibernate(sessionId: string): Promise<boolean>;
  /** Stops a session's runner without recording anything (the session is being deleted). */
  remove(sessionId: string): Promise<void>;
  /** Runners holding a slot (live or starting or closing). */
  size(): number;
  /** Interrupts running turns, closes every process (status `hibernated`), refuses new work. */
  shutdown(): Promise<void>;
}

interface PoolEntry {
  runner: Runner;
  lastUsed: number;
  idleTimer: NodeJS.Timeout | null;
  evicting: Promise<boolean> | null;
}

/**
 * @example
 * ```ts
 * const pool = createRunnerPool({
 *   maxLive: 8,
 *   hibernateAfterMs: 600_000,
 *   createRunner: (sessionId, onActivity) => createRunner({ sessionId, onActivity, ...shared }),
 * });
 * await pool.acquire(sessionId, { wake: true });
 * ```
 */
export function createRunnerPool(options: RunnerPoolOptions): RunnerPool {
  if (!(options.maxLive >= 1)) throw new RangeError('maxLive must be at least 1');
  const logger = options.logger ?? silentLogger;
  const entries = new Map<string, PoolEntry>();
  const pending = new Map<string, Promise<Runner | null>>();
  let reserved = 0;
  let waiters: Array<() => void> = [];
  let shuttingDown = false;
  let useCounter = 0;

  function notify(): void {
    const current = waiters;
    waiters = [];
    for (const resolve of current) resolve();
  }

  function waitForChange(): Promise<void> {
    return new Promise((resolve) => waiters.push(resolve));
  }

  function touch(entry: PoolEntry): void {
    entry.lastUsed = ++useCounter;
  }

  function clearIdleTimer(entry: PoolEntry): void {
    if (entry.idleTimer) clearTimeout(entry.idleTimer);
    entry.idleTimer = null;
  }

  function armIdleTimer(sessionId: string, entry: PoolEntry): void {
    clearIdleTimer(entry);
    entry.idleTimer = setTimeout(() => {
      entry.idleTimer = null;
      if (entries.get(sessionId) !== entry || entry.runner.isBusy()) return;
      void evict(sessionId, entry).catch((error) => {
        logger.warn?.('runner pool: idle hibernation failed', { sessionId, error: String(error) });
      });
    }, options.hibernateAfterMs);
    entry.idleTimer.unref?.();
  }

  function isEvictable(entry: PoolEntry): boolean {
    return entry.evicting === null && !entry.runner.isBusy();
  }

  /** Hibernates an entry; resolves false if it turned busy and stays. */
  function evict(sessionId: string, entry: PoolEntry): Promise<boolean> {
    if (entry.evicting) return entry.evicting;
    clearIdleTimer(entry);
    entry.evicting = (async () => {
      try {
        await entry.runner.hibernate();
      } catch (error) {
        entry.evicting = null;
        if (entry.runner.isBusy()) return false;
        logger.warn?.('runner pool: hibernate failed; dropping the runner', {
          sessionId,
          error: String(error),
        });
      }
      if (entries.get(sessionId) === entry) entries.delete(sessionId);
      notify();
      return true;
    })();
    return entry.evicting;
  }

  function leastRecentlyUsedIdle(): [string, PoolEntry] | undefined {
    let best: [string, PoolEntry] | undefined;
    for (const pair of entries) {
      if (!isEvictable(pair[1])) continue;
      if (!best || pair[1].lastUsed < best[1].lastUsed) best = pair;
    }
    return best;
  }

  /** Reserves a slot, hibernating idle runners as needed; false when noWait and none is free. */
  async function reserveSlot(noWait: boolean): Promise<boolean> {
    for (;;) {
      if (shuttingDown) throw createEngineError('SHUTTING_DOWN', 'The service is shutting down');
      if (entries.size + reserved < options.maxLive) {
        reserved++;
        return true;
      }
      const victim = leastRecentlyUsedIdle();
      if (victim) {
        await evict(victim[0], victim[1]);
        continue;
      }
      if (noWait) return false;
      await waitForChange();
    }
  }

  function createEntry(sessionId: string): PoolEntry {
    const entry: PoolEntry = {
      runner: undefined as unknown as Runner,
      lastUsed: 0,
      idleTimer: null,
      evicting: null,
    };
    entry.runner = options.createRunner(sessionId, (busy) => {
      if (entries.get(sessionId) !== entry) return;
      touch(entry);
      if (busy) clearIdleTimer(entry);
      else {
        armIdleTimer(sessionId, entry);
        notify();
      }
    });
    touch(entry);
    armIdleTimer(sessionId, entry);
    return entry;
  }

  async function acquire(sessionId: string, acquireOptions: AcquireOptions = {}) {
    for (;;) {
      if (shuttingDown) throw createEngineError('SHUTTING_DOWN', 'The service is shutting down');
      const existing = entries.get(sessionId);
      if (existing && !existing.evicting) {
        touch(existing);
        if (acquireOptions.wake) existing.runner.wake();
        return existing.runner;
      }
      if (existing?.evicting) {
        await existing.evicting;
        continue;
      }
      const inFlight = pending.get(sessionId);
      if (inFlight) {
        const runner = await inFlight;
        if (runner) {
          if (acquireOptions.wake) runner.wake();
          return runner;
        }
        continue;
      }
      const creation = (async (): Promise<Runner | null> => {
        const gotSlot = await reserveSlot(acquireOptions.noWait ?? false);
        if (!gotSlot) return null;
        try {
          // shutdown() may have listed the runners while this await resumed: a runner created
          // now would be missed by it and could start a CLI process nobody closes.
          if (shuttingDown) {
            throw createEngineError('SHUTTING_DOWN', 'The service is shutting down');
          }
          const entry = createEntry(sessionId);
          entries.set(sessionId, entry);
          return entry.runner;
        } finally {
          reserved--;
        }
      })();
      pending.set(sessionId, creation);
      try {
        const runner = await creation;
        // Waking before anyone else can run keeps a just-created runner from being evicted.
        if (runner && acquireOptions.wake) runner.wake();
        return runner;
      } finally {
        pending.delete(sessionId);
      }
    }
  }

  return {
    get: (sessionId) => {
      const entry = entries.get(sessionId);
      return entry && !entry.evicting ? entry.runner : undefined;
    },
    acquire: acquire as RunnerPool['acquire'],
    async warm(sessionId) {
      if (shuttingDown) return false;
      const runner = await acquire(sessionId, { noWait: true });
      if (!runner || shuttingDown) return false;
      return runner.warm();
    },
    async hibernate(sessionId) {
      const entry = entries.get(sessionId);
      if (!entry) return false;
      if (entry.runner.isBusy()) {
        throw createEngineError('SESSION_BUSY', `Session ${sessionId} is running a turn`);
      }
      return evict(sessionId, entry);
    },
    async remove(sessionId) {
      const entry = entries.get(sessionId);
      if (!entry) return;
      clearIdleTimer(entry);
      if (entry.evicting) await entry.evicting;
      await entry.runner.close({ record: false });
      if (entries.get(sessionId) === entry) entries.delete(sessionId);
      notify();
    },
    size: () => entries.size + reserved,
    async shutdown() {
      shuttingDown = true;
      notify();
      const closing = [...entries].map(async ([sessionId, entry]) => {
        clearIdleTimer(entry);
        try {
          // An eviction that found the runner busy leaves it running: close it all the same
          // (closing a hibernated runner only confirms its process is gone).
          if (entry.evicting) await entry.evicting;
          await entry.runner.close({ status: 'hibernated' });
        } catch (error) {
          logger.warn?.('runner pool: close failed on shutdown', {
            sessionId,
            error: String(error),
          });
        }
        entries.delete(sessionId);
      });
      await Promise.all(closing);
    },
  };
}
