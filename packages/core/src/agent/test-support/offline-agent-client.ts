import { afterAll, beforeAll, expect } from 'vitest';
import {
  createOfflineFixture,
  type OfflineFixture,
  waitForNoClaudeProcesses,
} from '../../testing/index.js';
import { type AgentClient, createAgentClient } from '../agent-client.js';

/** The fixture and client of a test file, set once its `beforeAll` has run. */
export interface OfflineAgentClient {
  readonly fixture: OfflineFixture;
  readonly client: AgentClient;
}

/**
 * Registers the hooks every agent integration test file shares: one offline fixture (scripted
 * model, temp config and workspace) and an agent client on it for the whole file, and at the
 * end a check that no CLI process outlived the tests before the fixture is removed.
 *
 * @example
 * const offline = setupOfflineAgentClient();
 * it('answers', async () => {
 *   expect((await offline.client.querySingle('hello')).isError).toBe(false);
 * });
 */
export function setupOfflineAgentClient(): OfflineAgentClient {
  let fixture: OfflineFixture | undefined;
  let client: AgentClient | undefined;

  beforeAll(async () => {
    fixture = await createOfflineFixture();
    client = createAgentClient({ cwd: fixture.workspace, env: fixture.env });
  });

  afterAll(async () => {
    expect(await waitForNoClaudeProcesses()).toEqual([]);
    await fixture?.cleanup();
  });

  return {
    get fixture() {
      if (!fixture) throw new Error('the offline fixture is set up in beforeAll');
      return fixture;
    },
    get client() {
      if (!client) throw new Error('the agent client is set up in beforeAll');
      return client;
    },
  };
}
