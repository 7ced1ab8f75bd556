import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createScriptedModel } from '@agent-sessions/scripted-model';
import { createOfflineEnvironment } from '../agent/agent-environment.js';

/** The scripted model the fixture runs (whatever `createScriptedModel` returns). */
export type FixtureModel = Awaited<ReturnType<typeof createScriptedModel>>;

export interface OfflineFixture {
  /** A scripted model listening on 127.0.0.1, on a free port. */
  model: FixtureModel;
  /** The temp dir holding everything below; removed by `cleanup()`. */
  root: string;
  /** A working directory for the agent (`cwd`). */
  workspace: string;
  /** CLAUDE_CONFIG_DIR of the agent: transcripts land here. */
  configDir: string;
  /** CLAUDE_CODE_TMPDIR of the agent. */
  tmpDir: string;
  /** The offline environment for `Options.env`: only the scripted model is reachable. */
  env: Record<string, string>;
  /** Closes the model and removes the temp dirs. Safe to call twice. */
  cleanup(): Promise<void>;
}

export interface OfflineFixtureOptions {
  /** CLAUDE_CODE_MAX_RETRIES for the CLI (default 2). */
  maxRetries?: number;
  /** Extra environment values for the CLI. */
  extra?: Record<string, string>;
}

/**
 * Starts a scripted model on a free port and creates temp dirs, giving everything a test needs
 * to drive the real SDK and CLI fully offline.
 *
 * @example
 * ```ts
 * const fixture = await createOfflineFixture();
 * try {
 *   const client = createAgentClient({ cwd: fixture.workspace, env: fixture.env });
 *   const turn = await client.querySingle('[[reply:hi]]');
 * } finally {
 *   await fixture.cleanup();
 * }
 * ```
 */
export async function createOfflineFixture(
  options: OfflineFixtureOptions = {},
): Promise<OfflineFixture> {
  const root = await mkdtemp(join(tmpdir(), 'agent-sessions-'));
  const workspace = join(root, 'workspace');
  const configDir = join(root, 'config');
  const tmpDir = join(root, 'tmp');
  await Promise.all([workspace, configDir, tmpDir].map((dir) => mkdir(dir, { recursive: true })));
  let model: FixtureModel;
  try {
    model = await createScriptedModel({ port: 0 });
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
  const env = createOfflineEnvironment({
    baseUrl: model.url,
    configDir,
    tmpDir,
    ...(options.maxRetries !== undefined ? { maxRetries: options.maxRetries } : {}),
    ...(options.extra ? { extra: options.extra } : {}),
  });
  let cleaned = false;
  return {
    model,
    root,
    workspace,
    configDir,
    tmpDir,
    env,
    async cleanup() {
      if (cleaned) return;
      cleaned = true;
      await model.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}
