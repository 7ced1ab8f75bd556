import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findClaudeProcesses } from '../testing/index.js';
import type { AgentTurnResult } from './summarize-turn.js';
import { setupOfflineAgentClient } from './test-support/offline-agent-client.js';
import { isTransientResult, withRetry } from './with-retry.js';
import { TURN_TIMEOUT, TurnTimeoutError, withTimeout } from './with-timeout.js';

const offline = setupOfflineAgentClient();

describe('withTimeout against the real CLI', () => {
  it('[[stall:60000]] ends with TURN_TIMEOUT within the limit + 2 s and leaves no CLI process', async () => {
    const limitMs = 2000;
    const startedAt = Date.now();
    const error = await withTimeout(
      offline.client.startTurn('[[stall:60000]] anyone?'),
      limitMs,
    ).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    const elapsed = Date.now() - startedAt;
    expect(error).toBeInstanceOf(TurnTimeoutError);
    const timeout = error as TurnTimeoutError<AgentTurnResult>;
    expect(timeout.code).toBe(TURN_TIMEOUT);
    expect(elapsed).toBeGreaterThanOrEqual(limitMs);
    expect(elapsed).toBeLessThan(limitMs + 2000);
    expect(timeout.result?.isError).toBe(true);
    // Checked at once, no polling: the turn settles only after its process is gone.
    expect(findClaudeProcesses()).toEqual([]);
  });

  it('a turn that ends in time resolves with its result', async () => {
    const result = await withTimeout(offline.client.startTurn('[[reply:quick]]'), 20_000);
    expect(result.text).toBe('quick');
  });
});

describe('withRetry against the real CLI', () => {
  it('retries a transient API failure of a turn that ran no tool, and then succeeds', async () => {
    // One Claude session id for every attempt (not persisted, so it can be reused): the scripted
    // model counts the failures of `[[error:500:3]]` per session, so the outage outlives
    // attempt 1 (2 requests with CLAUDE_CODE_MAX_RETRIES=1) and ends in attempt 2.
    const sessionId = crypto.randomUUID();
    const retries: number[] = [];
    const result = await withRetry(
      () =>
        offline.client.querySingle('[[error:500:3]] flaky upstream', {
          sessionId,
          persistSession: false,
          env: { CLAUDE_CODE_MAX_RETRIES: '1' },
        }),
      { baseDelayMs: 50, onRetry: ({ attempt }) => retries.push(attempt) },
    );
    expect(retries).toEqual([1]);
    expect(result.isError).toBe(false);
    expect(result.text).toBe('Echo: flaky upstream');
    const served = offline.fixture.model.requests.filter(
      (request) => request.sessionId === sessionId,
    );
    expect(served.map((request) => request.status)).toEqual([500, 500, 500, 200]);
  });

  // Closes the scripted model: keep it the file's last test.
  it('does NOT retry a failed turn after a tool ran', async () => {
    let attempts = 0;
    const result = await withRetry(
      () => {
        attempts++;
        return offline.client.querySingle(
          '[[tool:Bash:{"command":"echo ran >> side-effect.txt"}]]',
          {
            env: { CLAUDE_CODE_MAX_RETRIES: '0' },
            hooks: {
              // The API goes down right after the tool ran: the turn's next request fails.
              PostToolUse: [
                {
                  hooks: [
                    async () => {
                      await offline.fixture.model.close();
                      return {};
                    },
                  ],
                },
              ],
            },
          },
        );
      },
      { baseDelayMs: 50 },
    );
    expect(attempts).toBe(1);
    expect(result.isError).toBe(true);
    expect(result.terminalReason).toBe('api_error');
    expect(result.ranTool).toBe(true);
    // The failure itself is of a retryable kind: only the tool call stopped the retry.
    expect(isTransientResult(result)).toBe(true);
    expect(readFileSync(`${offline.fixture.workspace}/side-effect.txt`, 'utf8')).toBe('ran\n');
  });
});
