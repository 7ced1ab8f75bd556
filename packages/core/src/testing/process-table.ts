import { basename } from 'node:path';
import { listDescendantProcesses, type ProcessEntry } from '../process/process-table.js';

export type { ProcessEntry } from '../process/process-table.js';
export { listDescendantProcesses, listProcesses } from '../process/process-table.js';

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
