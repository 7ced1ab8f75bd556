import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { findClaudeProcesses, isClaudeCommand, listDescendantProcesses } from './process-table.js';

describe('process table', () => {
  it('lists a spawned child and its grandchild, and forgets them once they exit', async () => {
    // Detached: its own process group, so the finally block can kill shell and sleeper at once.
    const child = spawn('sh', ['-c', 'sleep 30 & wait'], { stdio: 'ignore', detached: true });
    try {
      let descendants = listDescendantProcesses();
      const deadline = Date.now() + 5000;
      // Until the forked shell has exec'd sleep, the grandchild still shows the shell's argv.
      const isSleeper = (entry: { ppid: number; command: string }) =>
        entry.ppid === child.pid && entry.command === 'sleep 30';
      while (!descendants.some(isSleeper) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 25));
        descendants = listDescendantProcesses();
      }
      const shell = descendants.find((entry) => entry.pid === child.pid);
      expect(shell?.ppid).toBe(process.pid);
      expect(descendants.filter(isSleeper)).toHaveLength(1);
      expect(findClaudeProcesses()).toEqual([]);
    } finally {
      process.kill(-child.pid!, 'SIGKILL');
    }
    await new Promise((resolve) => child.once('exit', resolve));
    expect(listDescendantProcesses().some((entry) => entry.pid === child.pid)).toBe(false);
  });

  it('recognises the CLI command line the SDK spawns', () => {
    expect(
      isClaudeCommand(
        '/work/node_modules/@anthropic-ai/claude-agent-sdk-linux-x64/claude --output-format stream-json --verbose --input-format stream-json',
      ),
    ).toBe(true);
    expect(isClaudeCommand('sleep 30')).toBe(false);
    expect(isClaudeCommand('node /work/node_modules/vitest/vitest.mjs')).toBe(false);
  });
});
