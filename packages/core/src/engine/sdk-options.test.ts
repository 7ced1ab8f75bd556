import { describe, expect, it } from 'vitest';
import { buildSdkOptions, parseSessionAgentOptions } from './sdk-options.js';

describe('parseSessionAgentOptions', () => {
  it('keeps known options and drops everything else', () => {
    const parsed = parseSessionAgentOptions({
      model: 'sonnet',
      permissionMode: 'acceptEdits',
      allowedTools: ['Read', 7, 'Grep'],
      maxTurns: 12.7,
      maxBudgetUsd: -1,
      pathToClaudeCodeExecutable: '/tmp/evil',
      env: { SECRET: 'x' },
    });
    expect(parsed).toEqual({
      model: 'sonnet',
      permissionMode: 'acceptEdits',
      allowedTools: ['Read', 'Grep'],
      maxTurns: 12,
    });
  });

  it('ignores an unknown permission mode', () => {
    expect(parseSessionAgentOptions({ permissionMode: 'yolo' })).toEqual({});
  });
});

describe('buildSdkOptions', () => {
  const env = { PATH: '/usr/bin', ANTHROPIC_BASE_URL: 'http://127.0.0.1:1' };

  it('layers session options over host defaults', () => {
    const options = buildSdkOptions(
      { env, model: 'haiku', allowedTools: ['Read'], appendSystemPrompt: 'Host rules.' },
      { model: 'sonnet', appendSystemPrompt: 'Be brief.' },
      '/srv/ws/s1',
    );
    expect(options).toMatchObject({
      cwd: '/srv/ws/s1',
      env,
      model: 'sonnet',
      allowedTools: ['Read'],
      permissionMode: 'default',
      maxTurns: 100,
      systemPrompt: { type: 'preset', preset: 'claude_code', append: 'Host rules.\n\nBe brief.' },
    });
    expect(options.env).not.toBe(env);
  });

  it('refuses bypassPermissions from a session unless the host allows it', () => {
    expect(() => buildSdkOptions({ env }, { permissionMode: 'bypassPermissions' }, '/w')).toThrow(
      /bypassPermissions/,
    );
    const allowed = buildSdkOptions(
      { env, allowBypassPermissions: true },
      { permissionMode: 'bypassPermissions' },
      '/w',
    );
    expect(allowed.allowDangerouslySkipPermissions).toBe(true);
  });
});
