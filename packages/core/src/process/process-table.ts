import { readdirSync, readFileSync } from 'node:fs';

/**
 * The one place that reads the process table. The SDK does not expose the pid of the CLI it
 * spawns, so the agent, the engine and the tests find CLI processes here (by parent, command
 * line or an environment marker) and wait here for them to be gone. Linux only (/proc);
 * elsewhere the lists are empty and callers rely on the SDK's own shutdown.
 */

export interface ProcessEntry {
  pid: number;
  ppid: number;
  /** The command line (argv joined by spaces), or the kernel's short name when it has none. */
  command: string;
}

interface ProcessStat {
  name: string;
  state: string;
  ppid: number;
}

function readStat(pid: number): ProcessStat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name sits in parentheses and may itself contain spaces or ')'.
    const nameEnd = stat.lastIndexOf(')');
    const fields = stat
      .slice(nameEnd + 2)
      .split(' ')
      .filter((field) => field.length > 0);
    return {
      name: stat.slice(stat.indexOf('(') + 1, nameEnd),
      state: fields[0] ?? '',
      ppid: Number(fields[1]),
    };
  } catch {
    return undefined;
  }
}

// A zombie has exited: it holds no resources and cannot be "left running".
const isExitedState = (state: string) => state === 'Z' || state === 'X';

function processIds(): number[] {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  return names.filter((name) => /^\d+$/.test(name)).map(Number);
}

function readProcess(pid: number): ProcessEntry | undefined {
  const stat = readStat(pid);
  if (!stat || isExitedState(stat.state)) return undefined;
  let command = stat.name;
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    if (argv.length > 0) command = argv.join(' ');
  } catch {
    // The process may exit between the two reads; the short name is good enough.
  }
  return { pid, ppid: stat.ppid, command };
}

/**
 * Every live (non-zombie) process on the machine, read from /proc; empty where there is none.
 *
 * @example
 * ```ts
 * const mine = listProcesses().filter((entry) => entry.ppid === process.pid);
 * ```
 */
export function listProcesses(): ProcessEntry[] {
  const entries: ProcessEntry[] = [];
  for (const pid of processIds()) {
    const entry = readProcess(pid);
    if (entry) entries.push(entry);
  }
  return entries;
}

/**
 * The live children of `parentPid` (default: this process).
 *
 * @example
 * ```ts
 * const children = listChildProcesses();
 * ```
 */
export function listChildProcesses(parentPid: number = process.pid): ProcessEntry[] {
  const entries: ProcessEntry[] = [];
  for (const pid of processIds()) {
    // The stat file alone tells the parent: the command line is read only for children.
    const stat = readStat(pid);
    if (!stat || stat.ppid !== parentPid || isExitedState(stat.state)) continue;
    const entry = readProcess(pid);
    if (entry) entries.push(entry);
  }
  return entries;
}

/**
 * The live descendants of `pid` (default: this process), children first.
 *
 * @example
 * ```ts
 * expect(listDescendantProcesses().filter((p) => p.command.includes('claude'))).toEqual([]);
 * ```
 */
export function listDescendantProcesses(pid: number = process.pid): ProcessEntry[] {
  const children = new Map<number, ProcessEntry[]>();
  for (const entry of listProcesses()) {
    const siblings = children.get(entry.ppid) ?? [];
    siblings.push(entry);
    children.set(entry.ppid, siblings);
  }
  const result: ProcessEntry[] = [];
  const pending = [pid];
  while (pending.length > 0) {
    const parent = pending.shift()!;
    for (const child of children.get(parent) ?? []) {
      result.push(child);
      pending.push(child.pid);
    }
  }
  return result;
}

/**
 * The environment of a process as `NAME=value` strings; undefined when it exited or is not
 * ours to read.
 *
 * @example
 * ```ts
 * const tagged = readProcessEnvironment(pid)?.includes('MY_MARKER=1') ?? false;
 * ```
 */
export function readProcessEnvironment(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').filter(Boolean);
  } catch {
    return undefined;
  }
}

/**
 * The live children of `parentPid` (default: this process) whose environment holds one of
 * `markers` (`NAME=value` strings). Tagging each spawned CLI with a unique variable is how a
 * caller finds exactly its own process, whatever its command line says.
 *
 * @example
 * ```ts
 * const [pid] = findMarkedChildProcesses([`AGENT_SESSIONS_STREAM_ID=${streamId}`]);
 * ```
 */
export function findMarkedChildProcesses(
  markers: Iterable<string>,
  parentPid: number = process.pid,
): number[] {
  const wanted = new Set(markers);
  if (wanted.size === 0) return [];
  const found: number[] = [];
  for (const child of listChildProcesses(parentPid)) {
    const environment = readProcessEnvironment(child.pid);
    if (environment?.some((variable) => wanted.has(variable))) found.push(child.pid);
  }
  return found;
}

/**
 * Whether a process is still running (a zombie counts as gone).
 *
 * @example
 * ```ts
 * if (isProcessAlive(pid)) process.kill(pid, 'SIGTERM');
 * ```
 */
export function isProcessAlive(pid: number): boolean {
  const stat = readStat(pid);
  if (stat) return !isExitedState(stat.state);
  // No /proc entry: gone on Linux; elsewhere ask the kernel.
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface WaitForExitOptions {
  /** Send SIGTERM to those still alive after this long (default: never). */
  termAfterMs?: number;
  /** Send SIGKILL to those still alive after this long (default 3000). */
  killAfterMs?: number;
  /** How long to wait for the killed ones to be gone (default 1000). */
  afterKillMs?: number;
}

export interface WaitForExitResult {
  /** The pids that had to be signalled. */
  forced: number[];
  /** The pids still alive at the end (empty unless even SIGKILL did not take in time). */
  remaining: number[];
}

const POLL_MS = 25;
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function signal(pids: number[], name: NodeJS.Signals, forced: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, name);
      if (!forced.includes(pid)) forced.push(pid);
    } catch {
      // Already gone.
    }
  }
}

/**
 * Waits until every pid has exited, escalating to SIGTERM after `termAfterMs` and SIGKILL after
 * `killAfterMs` for those still alive. Closing an SDK query returns before its CLI is gone
 * (stdin EOF, then a grace period): this is how a caller makes sure it really is.
 *
 * @example
 * ```ts
 * const { forced } = await waitForExit(pids, { termAfterMs: 3000, killAfterMs: 8000 });
 * ```
 */
export async function waitForExit(
  pids: readonly number[],
  options: WaitForExitOptions = {},
): Promise<WaitForExitResult> {
  const killAfterMs = options.killAfterMs ?? 3000;
  const termAfterMs = options.termAfterMs ?? Number.POSITIVE_INFINITY;
  const afterKillMs = options.afterKillMs ?? 1000;
  const started = Date.now();
  const forced: number[] = [];
  let termSent = false;
  for (;;) {
    const alive = pids.filter(isProcessAlive);
    if (alive.length === 0) return { forced, remaining: [] };
    const elapsed = Date.now() - started;
    if (elapsed >= killAfterMs) {
      signal(alive, 'SIGKILL', forced);
      const deadline = Date.now() + afterKillMs;
      let remaining = alive.filter(isProcessAlive);
      while (remaining.length > 0 && Date.now() < deadline) {
        await delay(POLL_MS);
        remaining = remaining.filter(isProcessAlive);
      }
      return { forced, remaining };
    }
    if (!termSent && elapsed >= termAfterMs) {
      termSent = true;
      signal(alive, 'SIGTERM', forced);
    }
    await delay(POLL_MS);
  }
}
