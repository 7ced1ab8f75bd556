import { readdirSync, readFileSync } from 'node:fs';

/**
 * The environment variable that tags each CLI process with its stream's id, so the stream can
 * find its process (the SDK does not expose the child's pid) and make sure it is gone after an
 * abort. Harmless to the CLI and the tools it runs.
 */
export const AGENT_PROCESS_MARKER = 'AGENT_SESSIONS_STREAM_ID';

/**
 * The pid of this process's child whose environment carries `marker`, read from /proc.
 * Undefined when not found or where /proc is unavailable (not Linux).
 *
 * @example
 * ```ts
 * const pid = findMarkedChildProcess(`${AGENT_PROCESS_MARKER}=${streamId}`);
 * ```
 */
export function findMarkedChildProcess(marker: string): number | undefined {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return undefined;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== process.pid) continue;
      const environ = readFileSync(`/proc/${name}/environ`, 'latin1').split('\0');
      if (environ.includes(marker)) return Number(name);
    } catch {
      // Exited meanwhile, or not ours to read.
    }
  }
  return undefined;
}

/** Whether a process is still alive (and not a zombie). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true;
  }
}

/**
 * Waits until `pid` has exited; after `timeoutMs` it is killed with SIGKILL and awaited a little
 * longer. Resolves true when the process is gone.
 */
export async function ensureProcessExit(pid: number, timeoutMs = 3000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isProcessAlive(pid)) {
    if (Date.now() >= deadline) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        return true;
      }
      for (let i = 0; i < 40 && isProcessAlive(pid); i++) await delay(25);
      return !isProcessAlive(pid);
    }
    await delay(25);
  }
  return true;
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
