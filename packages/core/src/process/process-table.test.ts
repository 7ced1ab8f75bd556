import { type ChildProcess, spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  findMarkedChildProcesses,
  isProcessAlive,
  listChildProcesses,
  listDescendantProcesses,
  waitForExit,
} from './process-table.js';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await pause(20);
  }
}

/** A child that ignores SIGTERM (only SIGKILL ends it), tagged with `marker` in its env. */
function spawnStubborn(marker: string): ChildProcess {
  const [name, value] = marker.split('=') as [string, string];
  return spawn('sh', ['-c', "trap '' TERM; while :; do sleep 0.05; done"], {
    stdio: 'ignore',
    env: { ...process.env, [name]: value },
  });
}

describe('process table', () => {
  it('lists a spawned child and its grandchild, and forgets them once they exit', async () => {
    // Detached: its own process group, so the finally block can kill shell and sleeper at once.
    const child = spawn('sh', ['-c', 'sleep 30 & wait'], { stdio: 'ignore', detached: true });
    // Until the forked shell has exec'd sleep, the grandchild still shows the shell's argv.
    const isSleeper = (entry: { ppid: number; command: string }) =>
      entry.ppid === child.pid && entry.command === 'sleep 30';
    try {
      await until(() => listDescendantProcesses().some(isSleeper), 'the sleeper');
      const shell = listDescendantProcesses().find((entry) => entry.pid === child.pid);
      expect(shell?.ppid).toBe(process.pid);
      expect(listDescendantProcesses().filter(isSleeper)).toHaveLength(1);
      // A grandchild is a descendant, not a child.
      expect(listChildProcesses().some(isSleeper)).toBe(false);
      expect(listChildProcesses().some((entry) => entry.pid === child.pid)).toBe(true);
    } finally {
      process.kill(-child.pid!, 'SIGKILL');
    }
    await new Promise((resolve) => child.once('exit', resolve));
    expect(listDescendantProcesses().some((entry) => entry.pid === child.pid)).toBe(false);
    expect(isProcessAlive(child.pid!)).toBe(false);
  });

  it('finds a child by the marker in its environment, and only that child', async () => {
    const tagged = spawnStubborn(`PROCESS_TABLE_TEST=${process.pid}-a`);
    const other = spawnStubborn(`PROCESS_TABLE_TEST=${process.pid}-b`);
    try {
      await until(
        () => findMarkedChildProcesses([`PROCESS_TABLE_TEST=${process.pid}-a`]).length > 0,
        'the tagged child',
      );
      expect(findMarkedChildProcesses([`PROCESS_TABLE_TEST=${process.pid}-a`])).toEqual([
        tagged.pid,
      ]);
      expect(
        findMarkedChildProcesses([
          `PROCESS_TABLE_TEST=${process.pid}-a`,
          `PROCESS_TABLE_TEST=${process.pid}-b`,
        ]).sort(),
      ).toEqual([tagged.pid, other.pid].sort());
      expect(findMarkedChildProcesses([`PROCESS_TABLE_TEST=${process.pid}-c`])).toEqual([]);
      expect(findMarkedChildProcesses([])).toEqual([]);
    } finally {
      tagged.kill('SIGKILL');
      other.kill('SIGKILL');
    }
  });

  it('waitForExit escalates: SIGTERM first, SIGKILL for a child that ignores it', async () => {
    const stubborn = spawnStubborn(`PROCESS_TABLE_TEST=${process.pid}-stubborn`);
    const polite = spawn('sleep', ['30'], { stdio: 'ignore' });
    const pids = [stubborn.pid!, polite.pid!];
    const politeSignal = new Promise((resolve) =>
      polite.once('exit', (_code, name) => resolve(name)),
    );
    await until(() => pids.every(isProcessAlive), 'both children');
    const started = Date.now();
    const result = await waitForExit(pids, { termAfterMs: 100, killAfterMs: 600 });
    const elapsed = Date.now() - started;
    expect(result.remaining).toEqual([]);
    expect(result.forced.sort()).toEqual([...pids].sort());
    expect(pids.some(isProcessAlive)).toBe(false);
    // The polite one went at SIGTERM; the stubborn one only at SIGKILL.
    expect(await politeSignal).toBe('SIGTERM');
    expect(elapsed).toBeGreaterThanOrEqual(600);
  });

  it('waitForExit returns at once, forcing nothing, when the processes are already gone', async () => {
    const child = spawn('true', { stdio: 'ignore' });
    await new Promise((resolve) => child.once('exit', resolve));
    const started = Date.now();
    expect(await waitForExit([child.pid!], { killAfterMs: 5000 })).toEqual({
      forced: [],
      remaining: [],
    });
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
