import { permissionModeSchema } from '@agent-sessions/protocol';
import type { Options, PermissionMode } from '@anthropic-ai/claude-agent-sdk';

/**
 * Host-level agent settings: chosen by whoever runs the service, never by a client. `env` is
 * the WHOLE environment of the CLI child (the SDK's `env` replaces process.env), so build it
 * with `createAgentEnvironment()` / `createOfflineEnvironment()`.
 */
export interface AgentDefaults {
  env: Record<string, string>;
  model?: string;
  permissionMode?: PermissionMode;
  allowedTools?: string[];
  disallowedTools?: string[];
  /** Seed default: 100. */
  maxTurns?: number;
  appendSystemPrompt?: string;
  /** Allow sessions to ask for `bypassPermissions` (the env must carry IS_SANDBOX=1 as root). */
  allowBypassPermissions?: boolean;
  /** Further host-level SDK options (mcpServers, hooks, pathToClaudeCodeExecutable, ...). */
  sdkOptions?: Partial<Options>;
}

/** Per-session agent options, stored as JSON on the session (a client may choose these). */
export interface SessionAgentOptions {
  model?: string;
  permissionMode?: PermissionMode;
  allowedTools?: string[];
  disallowedTools?: string[];
  appendSystemPrompt?: string;
  maxTurns?: number;
  maxBudgetUsd?: number;
}

// The protocol's list is the one the server validates against: keep a single source.
const PERMISSION_MODES: readonly PermissionMode[] = permissionModeSchema.options;

function stringList(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.filter((item): item is string => typeof item === 'string');
}

function positiveNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}

/**
 * Reads the known agent options out of a session's stored JSON, dropping anything else, so a
 * client can never smuggle host-level options (executables, env, MCP servers) into the SDK.
 */
export function parseSessionAgentOptions(raw: Record<string, unknown>): SessionAgentOptions {
  const options: SessionAgentOptions = {};
  if (typeof raw.model === 'string' && raw.model.length > 0) options.model = raw.model;
  if (
    typeof raw.permissionMode === 'string' &&
    PERMISSION_MODES.includes(raw.permissionMode as PermissionMode)
  ) {
    options.permissionMode = raw.permissionMode as PermissionMode;
  }
  const allowedTools = stringList(raw.allowedTools);
  if (allowedTools) options.allowedTools = allowedTools;
  const disallowedTools = stringList(raw.disallowedTools);
  if (disallowedTools) options.disallowedTools = disallowedTools;
  if (typeof raw.appendSystemPrompt === 'string') {
    options.appendSystemPrompt = raw.appendSystemPrompt;
  }
  const maxTurns = positiveNumber(raw.maxTurns);
  if (maxTurns !== undefined) options.maxTurns = Math.floor(maxTurns);
  const maxBudgetUsd = positiveNumber(raw.maxBudgetUsd);
  if (maxBudgetUsd !== undefined) options.maxBudgetUsd = maxBudgetUsd;
  return options;
}

/**
 * The SDK options for one session: host defaults, overridden by the session's own options.
 * Session-specific wiring (sessionId/resume, canUseTool, sessionStore) is added by the runner.
 *
 * @example
 * ```ts
 * const options = buildSdkOptions({ env }, { model: 'sonnet' }, '/srv/workspaces/abc');
 * ```
 */
export function buildSdkOptions(
  defaults: AgentDefaults,
  session: SessionAgentOptions,
  cwd: string,
): Options {
  const permissionMode = session.permissionMode ?? defaults.permissionMode ?? 'default';
  if (
    permissionMode === 'bypassPermissions' &&
    session.permissionMode &&
    !defaults.allowBypassPermissions
  ) {
    throw new Error('permissionMode bypassPermissions is not allowed for sessions on this host');
  }
  const options: Options = {
    ...defaults.sdkOptions,
    cwd,
    env: { ...defaults.env },
    permissionMode,
    maxTurns: session.maxTurns ?? defaults.maxTurns ?? 100,
  };
  if (permissionMode === 'bypassPermissions') options.allowDangerouslySkipPermissions = true;
  const model = session.model ?? defaults.model;
  if (model !== undefined) options.model = model;
  const allowedTools = session.allowedTools ?? defaults.allowedTools;
  if (allowedTools !== undefined) options.allowedTools = allowedTools;
  const disallowedTools = session.disallowedTools ?? defaults.disallowedTools;
  if (disallowedTools !== undefined) options.disallowedTools = disallowedTools;
  const append = [defaults.appendSystemPrompt, session.appendSystemPrompt]
    .filter((part): part is string => typeof part === 'string' && part.length > 0)
    .join('\n\n');
  if (append.length > 0) {
    options.systemPrompt = { type: 'preset', preset: 'claude_code', append };
  }
  if (session.maxBudgetUsd !== undefined) options.maxBudgetUsd = session.maxBudgetUsd;
  return options;
}
