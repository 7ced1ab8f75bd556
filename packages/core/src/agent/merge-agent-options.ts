import { resolve } from 'node:path';
import type { HookCallbackMatcher, HookEvent, Options } from '@anthropic-ai/claude-agent-sdk';

/**
 * The SDK's `Options` plus the seed's `appendSystemPrompt` shorthand, which becomes
 * `systemPrompt: { type: 'preset', preset: 'claude_code', append }`.
 */
export type AgentQueryOptions = Options & {
  /** Text appended to Claude Code's own system prompt. */
  appendSystemPrompt?: string;
};

type Hooks = Partial<Record<HookEvent, HookCallbackMatcher[]>>;

function mergeHooks(base: Hooks | undefined, extra: Hooks | undefined): Hooks | undefined {
  if (!base) return extra;
  if (!extra) return base;
  const merged: Hooks = { ...base };
  for (const [event, matchers] of Object.entries(extra) as Array<
    [HookEvent, HookCallbackMatcher[]]
  >) {
    merged[event] = [...(base[event] ?? []), ...matchers];
  }
  return merged;
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(value).filter(([, entry]) => entry !== undefined),
  ) as Partial<T>;
}

/**
 * Merges per-call options over defaults and resolves the result into plain SDK `Options`.
 * Per-call values win; `undefined` never erases a default. Objects merge sensibly:
 * `mcpServers` and `env` by key (per-call keys win), `hooks` per event by concatenating
 * matchers (defaults run first). Arrays such as `allowedTools` are replaced, not unioned, so a
 * call can narrow them. `appendSystemPrompt` (per-call wins) is appended to the preset system
 * prompt, or to an explicit `systemPrompt`. `cwd` is resolved to an absolute path.
 *
 * @example
 * ```ts
 * mergeAgentOptions({ maxTurns: 100, env }, { maxTurns: 1, appendSystemPrompt: 'Be terse.' });
 * // { maxTurns: 1, env, systemPrompt: { type: 'preset', preset: 'claude_code', append: 'Be terse.' } }
 * ```
 */
export function mergeAgentOptions(
  defaults: AgentQueryOptions,
  overrides: AgentQueryOptions = {},
): Options {
  const { appendSystemPrompt: defaultAppend, ...base } = withoutUndefined(defaults);
  const { appendSystemPrompt: callAppend, ...call } = withoutUndefined(overrides);
  const merged: Options = { ...base, ...call };

  if (base.mcpServers || call.mcpServers) {
    merged.mcpServers = { ...base.mcpServers, ...call.mcpServers };
  }
  if (base.env || call.env) merged.env = { ...base.env, ...call.env };
  const hooks = mergeHooks(base.hooks, call.hooks);
  if (hooks) merged.hooks = hooks;

  const append = callAppend ?? defaultAppend;
  if (append !== undefined) {
    const prompt = merged.systemPrompt;
    if (prompt === undefined) {
      merged.systemPrompt = { type: 'preset', preset: 'claude_code', append };
    } else if (typeof prompt === 'string') {
      merged.systemPrompt = `${prompt}\n\n${append}`;
    } else if (Array.isArray(prompt)) {
      merged.systemPrompt = [...prompt, append];
    } else if (prompt.type === 'preset') {
      merged.systemPrompt = {
        ...prompt,
        append: prompt.append ? `${prompt.append}\n\n${append}` : append,
      };
    } else {
      const custom = Array.isArray(prompt.prompt) ? prompt.prompt : [prompt.prompt];
      merged.systemPrompt = { ...prompt, prompt: [...custom, append] };
    }
  }
  if (merged.cwd !== undefined) merged.cwd = resolve(merged.cwd);
  return merged;
}
