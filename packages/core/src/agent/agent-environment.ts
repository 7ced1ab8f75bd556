/**
 * The environment handed to the Claude Code CLI child. The SDK's `Options.env` REPLACES the
 * child's environment, so this is the single place that decides what the agent may see: a
 * small allowlist of harmless variables from the host, the Anthropic credentials meant for
 * the agent, and explicit values. Nothing else of the server's environment (database URLs,
 * signing secrets, cloud credentials) reaches the agent or the tools it runs.
 */

/** Host variables the CLI and the tools it runs need to behave like a normal shell. */
export const AGENT_ENVIRONMENT_ALLOWLIST: readonly string[] = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LANGUAGE',
  'LC_ALL',
  'LC_CTYPE',
  'TZ',
  'TERM',
  'NODE_EXTRA_CA_CERTS',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
];

/**
 * Variables that configure the agent's own model access. They are the agent's credentials, so
 * they are inherited from the host unless the environment is offline (where the host's key must
 * never be sent anywhere) or an explicit value is given.
 */
export const AGENT_CREDENTIAL_VARIABLES: readonly string[] = [
  'ANTHROPIC_API_KEY',
  'ANTHROPIC_AUTH_TOKEN',
  'ANTHROPIC_BASE_URL',
  'ANTHROPIC_MODEL',
];

/** The key the offline environment sends to the local scripted model. */
export const OFFLINE_API_KEY = 'sk-ant-offline-scripted-model';

export interface AgentEnvironmentOptions {
  /** ANTHROPIC_API_KEY for the agent. Defaults to the host's, unless `offline`. */
  apiKey?: string;
  /** ANTHROPIC_BASE_URL for the agent. Defaults to the host's, unless `offline`. */
  baseUrl?: string;
  /** CLAUDE_CONFIG_DIR: where the CLI keeps transcripts and its own config. */
  configDir?: string;
  /** CLAUDE_CODE_TMPDIR: where the CLI keeps temp files and sockets (else /tmp/claude-<uid>). */
  tmpDir?: string;
  /** CLAUDE_CODE_MAX_RETRIES: the CLI's own API retries (its default is 10). */
  maxRetries?: number;
  /**
   * Offline mode (tests, demo, benchmarks): no credential is inherited from the host, a
   * `baseUrl` is required, and a dummy key is used when no `apiKey` is given.
   */
  offline?: boolean;
  /**
   * Set CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 (default true). Without it the CLI calls
   * api.anthropic.com for feature flags and telemetry even with a base URL set.
   */
  disableNonessentialTraffic?: boolean;
  /** More host variable names to copy when present (e.g. `HTTPS_PROXY`). */
  passThrough?: string[];
  /** Explicit values, applied last (they win over everything else). */
  extra?: Record<string, string>;
  /** The host environment to read from. Defaults to `process.env`; tests pass their own. */
  source?: Record<string, string | undefined>;
}

/**
 * Builds the environment for the Claude Code CLI child from an allowlist plus explicit values.
 *
 * @example
 * ```ts
 * const env = createAgentEnvironment({ configDir: '/var/lib/agent-sessions/claude' });
 * for await (const message of query({ prompt: 'hi', options: { env } })) console.log(message);
 * ```
 */
export function createAgentEnvironment(
  options: AgentEnvironmentOptions = {},
): Record<string, string> {
  const source = options.source ?? process.env;
  const environment: Record<string, string> = {};
  const copy = (name: string) => {
    const value = source[name];
    if (value !== undefined) environment[name] = value;
  };
  for (const name of AGENT_ENVIRONMENT_ALLOWLIST) copy(name);
  for (const name of options.passThrough ?? []) copy(name);

  if (options.offline) {
    if (options.baseUrl === undefined) {
      throw new Error('createAgentEnvironment: offline mode needs a baseUrl (the scripted model)');
    }
    environment.ANTHROPIC_API_KEY = options.apiKey ?? OFFLINE_API_KEY;
  } else {
    for (const name of AGENT_CREDENTIAL_VARIABLES) copy(name);
    if (options.apiKey !== undefined) environment.ANTHROPIC_API_KEY = options.apiKey;
  }
  if (options.baseUrl !== undefined) environment.ANTHROPIC_BASE_URL = options.baseUrl;

  if (options.disableNonessentialTraffic ?? true) {
    environment.CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC = '1';
  }
  if (options.configDir !== undefined) environment.CLAUDE_CONFIG_DIR = options.configDir;
  if (options.tmpDir !== undefined) environment.CLAUDE_CODE_TMPDIR = options.tmpDir;
  if (options.maxRetries !== undefined) {
    environment.CLAUDE_CODE_MAX_RETRIES = String(options.maxRetries);
  }
  Object.assign(environment, options.extra);
  return environment;
}

export interface OfflineEnvironmentOptions {
  /** The scripted model's URL, e.g. `http://127.0.0.1:41234`. */
  baseUrl: string;
  configDir: string;
  tmpDir: string;
  /** The CLI's own API retries; small so error tests do not wait ~3 minutes. */
  maxRetries?: number;
  extra?: Record<string, string>;
  source?: Record<string, string | undefined>;
}

/**
 * The environment that keeps the real CLI fully offline, talking only to a local scripted
 * model (see sdk-notes.md): base URL, dummy key, no nonessential traffic, temp config and tmp
 * dirs, few retries.
 *
 * @example
 * ```ts
 * const model = await createScriptedModel({ port: 0 });
 * const env = createOfflineEnvironment({ baseUrl: model.url, configDir, tmpDir });
 * ```
 */
export function createOfflineEnvironment(
  options: OfflineEnvironmentOptions,
): Record<string, string> {
  return createAgentEnvironment({
    offline: true,
    baseUrl: options.baseUrl,
    configDir: options.configDir,
    tmpDir: options.tmpDir,
    maxRetries: options.maxRetries ?? 2,
    ...(options.extra ? { extra: options.extra } : {}),
    ...(options.source ? { source: options.source } : {}),
  });
}
