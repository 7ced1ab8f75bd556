/**
 * The raw Claude Agent SDK, offline against a scripted model: the baselines our server is
 * compared with (a warm streaming-input turn, a cold `query()`, a `resume` per message, and
 * `startup()`). It uses the same SDK options the engine builds (`buildSdkOptions`), so the
 * difference measured is our machinery, not a different CLI configuration.
 */
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { buildSdkOptions, createInputQueue } from '@agent-sessions/core';
import { createOfflineFixture, type OfflineFixture } from '@agent-sessions/core/testing';
import {
  type Options,
  query,
  type SDKMessage,
  type SDKUserMessage,
  startup,
} from '@anthropic-ai/claude-agent-sdk';
import { now, withTimeout } from '../harness.js';

const TURN_TIMEOUT_MS = 30_000;

export function userMessage(text: string): SDKUserMessage {
  return {
    type: 'user',
    message: { role: 'user', content: [{ type: 'text', text }] },
    parent_tool_use_id: null,
  };
}

/** Timings of one turn, in ms from the moment the prompt was handed to the SDK. */
export interface TurnTiming {
  firstAssistantMs: number;
  resultMs: number;
}

/** Reads messages until `result`, noting when the first `assistant` arrived. */
async function timeTurn(iterator: AsyncIterator<SDKMessage>, started: number): Promise<TurnTiming> {
  let firstAssistantMs = Number.NaN;
  for (;;) {
    const next = await iterator.next();
    if (next.done) throw new Error('the SDK ended before the turn finished');
    const message = next.value;
    if (message.type === 'assistant' && Number.isNaN(firstAssistantMs)) {
      firstAssistantMs = now() - started;
    }
    if (message.type === 'result') {
      if (message.is_error) throw new Error(`the turn failed: ${message.subtype}`);
      return { firstAssistantMs, resultMs: now() - started };
    }
  }
}

/** Drains and closes a one-shot query after its result. */
async function finish(iterator: AsyncIterator<SDKMessage>): Promise<void> {
  await iterator.return?.();
}

export interface SdkBaseline {
  fixture: OfflineFixture;
  /** The engine's SDK options, in a fresh working directory unless `extra.cwd` is given. */
  options(extra?: Partial<Options>): Promise<Options>;
  /**
   * A warm streaming-input conversation: one CLI process serving every `turn()`. `extra` must
   * carry the options that change the CLI's work per turn the way the server's do
   * (`includePartialMessages` when the server streams tokens), or the comparison is unfair.
   */
  openWarm(
    extra?: Partial<Options>,
  ): Promise<{ turn(text: string): Promise<TurnTiming>; close(): Promise<void> }>;
  /** A new process per call (`query()` with a string prompt); `resume` continues a session. */
  oneShot(text: string, extra?: Partial<Options>): Promise<TurnTiming>;
  /** `startup()` then `.query()`: time to ready, then prompt -> first assistant. */
  startupTurn(text: string): Promise<{ readyMs: number; turn: TurnTiming }>;
  close(): Promise<void>;
}

/**
 * @example
 * ```ts
 * const sdk = await createSdkBaseline();
 * const warm = await sdk.openWarm();
 * await warm.turn('hello'); // first turn includes the spawn
 * const { firstAssistantMs } = await warm.turn('again');
 * await warm.close(); await sdk.close();
 * ```
 */
export async function createSdkBaseline(): Promise<SdkBaseline> {
  const fixture = await createOfflineFixture({ maxRetries: 1 });
  let counter = 0;
  const open = new Set<() => Promise<void>>();

  async function options(extra: Partial<Options> = {}): Promise<Options> {
    let cwd = extra.cwd;
    if (cwd === undefined) {
      counter += 1;
      cwd = join(fixture.workspace, `w${counter}`);
      await mkdir(cwd, { recursive: true });
    }
    return { ...buildSdkOptions({ env: fixture.env }, {}, cwd), ...extra };
  }

  return {
    fixture,
    options,
    async openWarm(extra = {}) {
      const input = createInputQueue<SDKUserMessage>();
      const live = query({
        prompt: input,
        options: await options({ sessionId: randomUUID(), ...extra }),
      });
      const iterator = live[Symbol.asyncIterator]();
      const close = async () => {
        open.delete(close);
        input.end();
        live.close();
      };
      open.add(close);
      return {
        async turn(text) {
          const started = now();
          input.push(userMessage(text));
          return withTimeout(timeTurn(iterator, started), TURN_TIMEOUT_MS, 'raw SDK warm turn');
        },
        close,
      };
    },
    async oneShot(text, extra = {}) {
      const sdkOptions = await options(extra);
      const started = now();
      const iterator = query({ prompt: text, options: sdkOptions })[Symbol.asyncIterator]();
      try {
        return await withTimeout(timeTurn(iterator, started), TURN_TIMEOUT_MS, 'raw SDK query()');
      } finally {
        await finish(iterator);
      }
    },
    async startupTurn(text) {
      const sdkOptions = await options({ sessionId: randomUUID() });
      const started = now();
      const warm = await startup({ options: sdkOptions });
      const readyMs = now() - started;
      const turnStarted = now();
      const iterator = warm.query(text)[Symbol.asyncIterator]();
      try {
        const turn = await withTimeout(
          timeTurn(iterator, turnStarted),
          TURN_TIMEOUT_MS,
          'startup() turn',
        );
        return { readyMs, turn };
      } finally {
        await finish(iterator);
      }
    },
    async close() {
      await Promise.allSettled([...open].map((close) => close()));
      await fixture.cleanup();
    },
  };
}
