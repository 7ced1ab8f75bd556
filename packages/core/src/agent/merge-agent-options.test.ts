import type { HookCallback } from '@anthropic-ai/claude-agent-sdk';
import { describe, expect, it } from 'vitest';
import { mergeAgentOptions } from './merge-agent-options.js';

const hook: HookCallback = async () => ({});
const otherHook: HookCallback = async () => ({});

describe('mergeAgentOptions', () => {
  it('lets per-call values win without erasing defaults with undefined', () => {
    const merged = mergeAgentOptions(
      { maxTurns: 100, model: 'sonnet', allowedTools: ['Bash', 'Read'] },
      { maxTurns: 1, model: undefined, allowedTools: ['Read'] },
    );
    expect(merged).toEqual({ maxTurns: 1, model: 'sonnet', allowedTools: ['Read'] });
  });

  it('merges mcpServers and env by key and concatenates hooks per event', () => {
    const merged = mergeAgentOptions(
      {
        env: { A: '1', B: '1' },
        mcpServers: { one: { command: 'one' }, two: { command: 'two' } },
        hooks: { PreToolUse: [{ hooks: [hook] }] },
      },
      {
        env: { B: '2' },
        mcpServers: { two: { command: 'TWO' } },
        hooks: { PreToolUse: [{ hooks: [otherHook] }], Stop: [{ hooks: [hook] }] },
      },
    );
    expect(merged.env).toEqual({ A: '1', B: '2' });
    expect(merged.mcpServers).toEqual({ one: { command: 'one' }, two: { command: 'TWO' } });
    expect(merged.hooks?.PreToolUse?.map((matcher) => matcher.hooks[0])).toEqual([hook, otherHook]);
    expect(merged.hooks?.Stop).toHaveLength(1);
  });

  it('turns appendSystemPrompt into the claude_code preset, per-call text winning', () => {
    expect(mergeAgentOptions({ appendSystemPrompt: 'default' }).systemPrompt).toEqual({
      type: 'preset',
      preset: 'claude_code',
      append: 'default',
    });
    const merged = mergeAgentOptions(
      { appendSystemPrompt: 'default' },
      { appendSystemPrompt: 'call' },
    );
    expect(merged.systemPrompt).toEqual({ type: 'preset', preset: 'claude_code', append: 'call' });
    expect('appendSystemPrompt' in merged).toBe(false);
    expect(
      mergeAgentOptions({ systemPrompt: 'Be a bot.', appendSystemPrompt: 'Be brief.' })
        .systemPrompt,
    ).toBe('Be a bot.\n\nBe brief.');
  });

  it('resolves cwd to an absolute path', () => {
    expect(mergeAgentOptions({ cwd: 'workspace' }).cwd).toBe(`${process.cwd()}/workspace`);
  });
});
