import { readdirSync, readFileSync } from 'node:fs';

/**
 * The SDK does not expose the pid of the CLI it spawns, and `Query.close()` returns before the
 * process has exited (stdin EOF, then a grace period). To keep the live-process cap exact the
 * runner looks the process up by the SDK session id on its command line (`--session-id=<id>` or
 * `--resume=<id>`) and waits for it to be gone. Linux only (/proc); elsewhere it finds nothing
 * and the runner relies on the SDK's own shutdown.
 */
export function findCliProcessIds(sdkSessionId: string, parentPid: number = process.pid): number[] {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  const found: number[] = [];
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z' || Number(fields[1]) !== parentPid) continue;
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      if (argv.some((arg) => arg.includes(sdkSessionId)) && argv.includes('stream-json')) {
        found.push(Number(name));
      }
    } catch {
      // The process exited while we looked.
    }
  }
  return found;
}

/** Whether a process is still running (not a zombie). */
export function isProcessAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}

/**
 * Waits until every pid has exited; sends SIGTERM after `termAfterMs` and SIGKILL after
 * `killAfterMs` to those still alive. Resolves with the pids that had to be killed.
 */
export async function waitForExit(
  pids: number[],
  termAfterMs: number,
  killAfterMs: number,
): Promise<number[]> {
  const started = Date.now();
  const forced: number[] = [];
  let termSent = false;
  for (;;) {
    const alive = pids.filter(isProcessAlive);
    if (alive.length === 0) return forced;
    const elapsed = Date.now() - started;
    const signal: NodeJS.Signals | null =
      elapsed >= killAfterMs ? 'SIGKILL' : !termSent && elapsed >= termAfterMs ? 'SIGTERM' : null;
    if (signal) {
      if (signal === 'SIGTERM') termSent = true;
      for (const pid of alive) {
        try {
          process.kill(pid, signal);
          if (!forced.includes(pid)) forced.push(pid);
        } catch {
          // Already gone.
        }
      }
      if (signal === 'SIGKILL') {
        await new Promise((resolve) => setTimeout(resolve, 100));
        return forced;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
