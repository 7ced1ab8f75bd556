import { readdirSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';

export interface ProcessEntry {
  pid: number;
  ppid: number;
  /** The command line (argv joined by spaces), or the kernel's short name when it has none. */
  command: string;
}

function readProcess(pid: number): ProcessEntry | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name sits in parentheses and may itself contain spaces or ')'.
    const nameEnd = stat.lastIndexOf(')');
    const name = stat.slice(stat.indexOf('(') + 1, nameEnd);
    const fields = stat
      .slice(nameEnd + 2)
      .split(' ')
      .filter((field) => field.length > 0);
    const state = fields[0];
    // A zombie has exited: it holds no resources and cannot be "left running".
    if (state === 'Z' || state === 'X') return undefined;
    const ppid = Number(fields[1]);
    let command = name;
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      if (argv.length > 0) command = argv.join(' ');
    } catch {
      // The process may exit between the two reads; the short name is good enough.
    }
    return { pid, ppid, command };
  } catch {
    return undefined;
  }
}

/** Every live process on the machine, read from /proc (Linux only). */
export function listProcesses(): ProcessEntry[] {
  const entries: ProcessEntry[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const entry = readProcess(Number(name));
    if (entry) entries.push(entry);
  }
  return entries;
}

/**
 * The live (non-zombie) descendants of `pid`, children first, read from /proc.
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

/** Whether a command line is the Claude Code CLI the SDK spawns. */
export function isClaudeCommand(command: string): boolean {
  const executable = command.split(' ')[0] ?? '';
  return (
    basename(executable) === 'claude' ||
    command.includes('claude-agent-sdk') ||
    (command.includes('--output-format stream-json') && command.includes('--input-format'))
  );
}

/**
 * The Claude Code CLI processes among the descendants of `pid`: used to prove that no CLI
 * process is left behind after a turn, a timeout or a test.
 *
 * @example
 * ```ts
 * await turn.result;
 * expect(findClaudeProcesses()).toEqual([]);
 * ```
 */
export function findClaudeProcesses(pid: number = process.pid): ProcessEntry[] {
  return listDescendantProcesses(pid).filter((entry) => isClaudeCommand(entry.command));
}

/**
 * Polls until no Claude CLI descendant is alive or `timeoutMs` passes; returns those still
 * alive (empty when all exited). The SDK reaps its child asynchronously after close().
 */
export async function waitForNoClaudeProcesses(
  timeoutMs = 3000,
  pid: number = process.pid,
): Promise<ProcessEntry[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const alive = findClaudeProcesses(pid);
    if (alive.length === 0 || Date.now() >= deadline) return alive;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
