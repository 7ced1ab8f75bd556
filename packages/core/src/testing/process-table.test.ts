import { describe, expect, it } from 'vitest';
import { findClaudeProcesses, isClaudeCommand } from './process-table.js';

// The process table itself is tested in ../process/process-table.test.ts.
describe('Claude CLI processes', () => {
  it('recognises the CLI command line the SDK spawns', () => {
    expect(
      isClaudeCommand(
        '/work/node_modules/@anthropic-ai/claude-agent-sdk-linux-x64/claude --output-format stream-json --verbose --input-format stream-json',
      ),
    ).toBe(true);
    expect(isClaudeCommand('sleep 30')).toBe(false);
    expect(isClaudeCommand('node /work/node_modules/vitest/vitest.mjs')).toBe(false);
  });

  it('finds none among the descendants of a test that started none', () => {
    expect(findClaudeProcesses()).toEqual([]);
  });
});
