import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Options, SDKMessage, SDKUserMessage } from '@anthropic-ai/claude-agent-sdk';
import {
  type AgentConversation,
  type ConversationOptions,
  createResumeConversation,
} from './agent-conversation.js';
import { createAgentEnvironment } from './agent-environment.js';
import { type AgentStream, openAgentStream } from './agent-stream.js';
import { type AgentTurn, startAgentTurn } from './agent-turn.js';
import { createLiveConversation, type LiveConversation } from './live-conversation.js';
import { type AgentQueryOptions, mergeAgentOptions } from './merge-agent-options.js';
import type { AgentTurnResult } from './summarize-turn.js';

/** The seed's tool allowlist. It includes Bash: the agent runs shell commands unprompted. */
export const DEFAULT_ALLOWED_TOOLS: readonly string[] = [
  'Task',
  'Bash',
  'Read',
  'Write',
  'Edit',
  'Glob',
  'Grep',
  'WebFetch',
  'TodoWrite',
];

/**
 * Client defaults: any SDK option plus `appendSystemPrompt`. Unset values get the seed's
 * defaults: `maxTurns` 100, `cwd` `./workspace` (resolved against the process cwd when the
 * client is created, created on first use), `model` `$ANTHROPIC_MODEL` or `sonnet`,
 * `allowedTools` {@link DEFAULT_ALLOWED_TOOLS}, `env` {@link createAgentEnvironment}() (an
 * allowlist, never the server's whole environment).
 */
export type AgentClientDefaults = AgentQueryOptions;

export type PromptInput = string | AsyncIterable<SDKUserMessage>;

export interface TurnOptions extends AgentQueryOptions {
  /** Called with every SDK message of the turn, as it arrives. */
  onMessage?: (message: SDKMessage) => void;
}

export interface AgentClient {
  /** The client's defaults, fully resolved (absolute `cwd`, `env`, ...). */
  readonly defaults: Options;
  /** Per-call options merged over the defaults (see {@link mergeAgentOptions}). */
  resolveOptions(options?: AgentQueryOptions): Options;
  /**
   * Streams the SDK messages of a query. The returned stream can be interrupted or closed
   * and exposes the SDK `Query`. With a string prompt an error result ends the stream instead
   * of throwing (see {@link openAgentStream}).
   */
  queryStream(prompt: PromptInput, options?: AgentQueryOptions): AgentStream;
  /** Starts a turn and returns its handle: `result`, `interrupt()`, `abort()`. */
  startTurn(prompt: PromptInput, options?: TurnOptions): AgentTurn;
  /**
   * Runs a turn to its end. Never throws and never hangs on an API error: failures come back
   * as `isError: true` with the SDK's `terminalReason` and `errors`.
   */
  querySingle(prompt: PromptInput, options?: TurnOptions): Promise<AgentTurnResult>;
  /**
   * A multi-turn conversation: `mode: 'resume'` (default, the seed: a new process per turn that
   * resumes the captured session id) or `mode: 'streaming'` (one live process for every turn).
   */
  createConversation(options: ConversationOptions & { mode: 'streaming' }): LiveConversation;
  createConversation(options?: ConversationOptions): AgentConversation;
}

/**
 * The seed's AIClient, done right: defaults merged per call, an allowlisted environment, errors
 * as results, interruptible streams and conversations that keep one process alive.
 *
 * @example
 * ```ts
 * const client = createAgentClient({ appendSystemPrompt: 'Answer briefly.' });
 * const turn = await client.querySingle('What is in this folder?');
 * if (turn.isError) console.error(turn.terminalReason, turn.errors);
 * else console.log(turn.text, turn.costUsd, turn.durationMs);
 *
 * const chat = client.createConversation({ mode: 'streaming' });
 * await chat.send('My name is Ada.');
 * console.log((await chat.send('What is my name?')).text);
 * await chat.close();
 * ```
 */
export function createAgentClient(defaults: AgentClientDefaults = {}): AgentClient {
  const explicit = Object.fromEntries(
    Object.entries(defaults).filter(([, value]) => value !== undefined),
  ) as AgentClientDefaults;
  // Kept unresolved so that a per-call appendSystemPrompt replaces the default one.
  const baseOptions: AgentQueryOptions = {
    maxTurns: 100,
    model: process.env.ANTHROPIC_MODEL ?? 'sonnet',
    allowedTools: [...DEFAULT_ALLOWED_TOOLS],
    ...explicit,
    cwd: resolve(explicit.cwd ?? 'workspace'),
    env: explicit.env ?? createAgentEnvironment(),
  };
  const resolvedDefaults = mergeAgentOptions(baseOptions);
  const createdDirectories = new Set<string>();

  const resolveOptions = (options: AgentQueryOptions = {}): Options => {
    const merged = mergeAgentOptions(baseOptions, options);
    if (merged.cwd && !createdDirectories.has(merged.cwd)) {
      mkdirSync(merged.cwd, { recursive: true });
      createdDirectories.add(merged.cwd);
    }
    return merged;
  };

  const startTurn = (prompt: PromptInput, options: TurnOptions = {}): AgentTurn => {
    const { onMessage, ...queryOptions } = options;
    return startAgentTurn(
      openAgentStream(prompt, resolveOptions(queryOptions)),
      onMessage ? { onMessage } : {},
    );
  };

  const client: AgentClient = {
    defaults: resolvedDefaults,
    resolveOptions,
    queryStream: (prompt, options) => openAgentStream(prompt, resolveOptions(options)),
    startTurn,
    querySingle: (prompt, options) => startTurn(prompt, options).result,
    createConversation: ((options: ConversationOptions = {}) => {
      if (options.mode === 'streaming') {
        return createLiveConversation({ openStream: openAgentStream, resolveOptions }, options);
      }
      return createResumeConversation(
        {
          startTurn: (prompt, turnOptions, hooks) =>
            startAgentTurn(openAgentStream(prompt, resolveOptions(turnOptions)), hooks),
        },
        options,
      );
    }) as AgentClient['createConversation'],
  };
  return client;
}
