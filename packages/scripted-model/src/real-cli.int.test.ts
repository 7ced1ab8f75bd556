import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Options, query, type SDKMessage } from '@anthropic-ai/claude-agent-sdk';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createScriptedModel, type ScriptedModel } from './create-scripted-model.js';

let model: ScriptedModel;
let directory: string;
let stderr: string[];

beforeAll(async () => {
  model = await createScriptedModel();
});
afterAll(async () => {
  await model.close();
});
beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'scripted-model-cli-'));
  stderr = [];
  model.clearRequests();
});
afterEach(() => {
  rmSync(directory, { recursive: true, force: true });
});

function offlineOptions(extra: Partial<Options> = {}): Options {
  return {
    env: {
      PATH: process.env.PATH,
      HOME: directory,
      ANTHROPIC_BASE_URL: model.url,
      ANTHROPIC_API_KEY: 'test',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      CLAUDE_CONFIG_DIR: directory,
      CLAUDE_CODE_TMPDIR: directory,
      CLAUDE_CODE_MAX_RETRIES: '2',
    },
    cwd: directory,
    maxTurns: 3,
    stderr: (data) => stderr.push(data),
    ...extra,
  };
}

async function run(prompt: string, extra: Partial<Options> = {}) {
  const messages: SDKMessage[] = [];
  const started = performance.now();
  try {
    for await (const message of query({ prompt, options: offlineOptions(extra) })) {
      messages.push(message);
    }
  } catch (error) {
    throw new Error(`query failed: ${String(error)}\nCLI stderr:\n${stderr.join('')}`);
  }
  return { messages, elapsedMs: performance.now() - started };
}

function assistantTexts(messages: SDKMessage[]): string[] {
  return messages.flatMap((message) =>
    message.type === 'assistant'
      ? message.message.content.flatMap((block) => (block.type === 'text' ? [block.text] : []))
      : [],
  );
}

describe('the real Claude Code CLI against the scripted model', () => {
  it('runs a one-shot turn with [[reply]] and computes a cost', async () => {
    const { messages, elapsedMs } = await run('[[reply:hello from the scripted model]]');
    console.info(`one-shot turn wall time: ${Math.round(elapsedMs)} ms`);

    expect(messages.some((m) => m.type === 'system' && m.subtype === 'init')).toBe(true);
    expect(assistantTexts(messages)).toContain('hello from the scripted model');
    const result = messages.at(-1);
    expect(result?.type).toBe('result');
    if (result?.type !== 'result') return;
    expect(result.subtype).toBe('success');
    expect(result.is_error).toBe(false);
    expect(result.total_cost_usd).toBeGreaterThan(0);
    expect(model.requests.length).toBeGreaterThanOrEqual(1);
    expect(model.requests.every((r) => r.path === '/v1/messages' && r.status === 200)).toBe(true);
    expect(model.requests[0]!.userText).toBe('[[reply:hello from the scripted model]]');
    expect(model.requests[0]!.sessionId).toBe(result.session_id);
  });

  it('runs a tool turn: the CLI executes Bash and the model reports its result', async () => {
    const { messages } = await run('[[tool:Bash:{"command":"echo hi > out.txt"}]]', {
      allowedTools: ['Bash'],
    });

    expect(existsSync(join(directory, 'out.txt'))).toBe(true);
    expect(readFileSync(join(directory, 'out.txt'), 'utf8')).toBe('hi\n');
    const result = messages.at(-1);
    expect(result?.type).toBe('result');
    if (result?.type !== 'result' || result.subtype !== 'success') {
      throw new Error(`unexpected result ${JSON.stringify(result)}`);
    }
    expect(result.result).toMatch(/^Tool Bash done/);
    expect(model.requests.map((r) => r.outcome)).toEqual(['tool_use', 'text']);
  });

  it('recovers a turn whose stream [[broken]] cuts', async () => {
    const { messages } = await run('[[broken]] [[reply:recovered after the cut]]');

    expect(assistantTexts(messages)).toContain('recovered after the cut');
    const result = messages.at(-1);
    expect(result?.type === 'result' && result.subtype === 'success' && !result.is_error).toBe(
      true,
    );
    expect(model.requests.map((r) => r.outcome)).toEqual(['broken', 'text']);
  });
});
