import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { SDKMessage } from '@anthropic-ai/claude-agent-sdk';
import { describe, expect, it } from 'vitest';
import { waitForNoClaudeProcesses } from '../testing/index.js';
import { setupOfflineAgentClient } from './test-support/offline-agent-client.js';

// Real SDK + real CLI against the scripted model. Tests run one after the other (2 cores).
const offline = setupOfflineAgentClient();

function readEnviron(pid: number): Record<string, string> {
  const entries = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').filter(Boolean);
  return Object.fromEntries(
    entries.map((entry) => [
      entry.slice(0, entry.indexOf('=')),
      entry.slice(entry.indexOf('=') + 1),
    ]),
  );
}

/** Remote IPv4/IPv6 addresses of the TCP sockets the process holds. */
function remoteAddresses(pid: number): string[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]!);
    } catch {
      // fd closed meanwhile
    }
  }
  const remotes: string[] = [];
  for (const table of ['tcp', 'tcp6']) {
    const lines = readFileSync(`/proc/${pid}/net/${table}`, 'utf8').trim().split('\n').slice(1);
    for (const line of lines) {
      const fields = line.trim().split(/\s+/);
      if (!inodes.has(fields[9]!)) continue;
      const [hex] = fields[2]!.split(':');
      remotes.push(decodeAddress(hex!));
    }
  }
  return remotes;
}

function decodeAddress(hex: string): string {
  if (hex.length === 8) {
    return hex
      .match(/../g)!
      .map((byte) => Number.parseInt(byte, 16))
      .reverse()
      .join('.');
  }
  // IPv6 in /proc: four little-endian 32-bit words. Map ::ffff:a.b.c.d and ::1 to readable form.
  const words = hex.match(/.{8}/g)!.map((word) => word.match(/../g)!.reverse().join(''));
  const full = words.join('');
  if (full === `${'0'.repeat(31)}1`) return '::1';
  if (full.startsWith(`${'0'.repeat(20)}ffff`))
    return decodeAddress(words[3]!.match(/../g)!.reverse().join(''));
  if (/^0+$/.test(full)) return '::';
  return full;
}

const types = (messages: SDKMessage[]) =>
  messages.map((message) =>
    'subtype' in message ? `${message.type}/${message.subtype}` : message.type,
  );

describe('createAgentClient against the real CLI', () => {
  it('one-shot: system/init, assistant, result with cost and duration; the CLI talks only to 127.0.0.1', async () => {
    let cliPid: number | undefined;
    let environ: Record<string, string> = {};
    const remotes = new Set<string>();
    let sampler: NodeJS.Timeout | undefined;
    const sample = () => {
      try {
        for (const remote of remoteAddresses(cliPid!)) remotes.add(remote);
      } catch {
        // The process exited between two samples.
      }
    };
    const turn = offline.client.startTurn('[[slow:1500]] [[reply:hello from the scripted model]]', {
      onMessage: (message) => {
        if (message.type === 'system' && message.subtype === 'init') {
          cliPid = turn.pid;
          if (cliPid === undefined) return;
          environ = readEnviron(cliPid);
          // Every TCP socket the CLI holds while the (slowed down) reply streams.
          sampler = setInterval(sample, 50);
          sample();
        }
        if (message.type === 'result') clearInterval(sampler);
      },
    });
    const result = await turn.result;
    clearInterval(sampler);
    expect(result.isError).toBe(false);
    expect(result.text).toBe('hello from the scripted model');
    expect(types(result.messages)).toEqual(
      expect.arrayContaining(['system/init', 'assistant', 'result/success']),
    );
    expect(types(result.messages)[0]).toBe('system/init');
    expect(result.costUsd).toBeGreaterThan(0);
    expect(result.durationMs).toBeGreaterThan(0);
    expect(result.terminalReason).toBe('completed');
    expect(result.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    // The environment the CLI really got (read from /proc) is the offline one, not ours.
    expect(cliPid).toBeTypeOf('number');
    expect(new URL(environ.ANTHROPIC_BASE_URL!).hostname).toBe('127.0.0.1');
    expect(environ.CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC).toBe('1');
    expect(environ.CLAUDE_CONFIG_DIR).toBe(offline.fixture.configDir);
    expect(Object.keys(environ)).not.toContain('VITEST');
    // Every TCP connection the CLI held mid-turn went to loopback, and the model saw the turn.
    expect(remotes.size).toBeGreaterThan(0);
    for (const remote of remotes) expect(['127.0.0.1', '::1']).toContain(remote);
    const served = offline.fixture.model.requests.filter(
      (request) => request.sessionId === result.sessionId,
    );
    expect(served.length).toBeGreaterThanOrEqual(1);
    expect(served.every((request) => request.path.startsWith('/v1/messages'))).toBe(true);
  });

  it('a tool call really runs in the workspace', async () => {
    const result = await offline.client.querySingle(
      '[[tool:Bash:{"command":"echo hi > out.txt"}]]',
    );
    expect(result.isError).toBe(false);
    expect(readFileSync(join(offline.fixture.workspace, 'out.txt'), 'utf8')).toBe('hi\n');
    expect(result.ranTool).toBe(true);
    expect(result.text).toMatch(/^Tool Bash done/);
  });

  it('a canUseTool deny surfaces as a denial and the tool does not run', async () => {
    const asked: string[] = [];
    const result = await offline.client.querySingle(
      '[[tool:Bash:{"command":"echo no > denied.txt"}]]',
      {
        // Without an allowlist entry, Bash has to ask canUseTool.
        allowedTools: [],
        canUseTool: async (toolName) => {
          asked.push(toolName);
          return { behavior: 'deny', message: 'not on my watch' };
        },
      },
    );
    expect(asked).toEqual(['Bash']);
    expect(existsSync(join(offline.fixture.workspace, 'denied.txt'))).toBe(false);
    const deniedResults = result.messages.flatMap((message) =>
      message.type === 'user' && Array.isArray(message.message.content)
        ? message.message.content.filter(
            (block) => block.type === 'tool_result' && block.is_error === true,
          )
        : [],
    );
    expect(JSON.stringify(deniedResults)).toContain('not on my watch');
    expect(result.result?.permission_denials.map((denial) => denial.tool_name)).toEqual(['Bash']);
  });

  it('interrupt() mid-reply ends the turn as interrupted within 1 s', async () => {
    let interruptedAt = 0;
    const turn = offline.client.startTurn('[[slow:3000]] a long story', {
      onMessage: (message) => {
        if (message.type === 'system' && message.subtype === 'init') {
          setTimeout(() => {
            interruptedAt = Date.now();
            void turn.interrupt();
          }, 500);
        }
      },
    });
    const result = await turn.result;
    const stoppedWithin = Date.now() - interruptedAt;
    expect(interruptedAt).toBeGreaterThan(0);
    expect(stoppedWithin).toBeLessThan(1000);
    expect(result.isError).toBe(true);
    expect(result.stoppedBy).toBe('interrupt');
    expect(result.terminalReason).toBe('aborted_streaming');
    expect(result.result?.subtype).toBe('error_during_execution');
    expect(await waitForNoClaudeProcesses(0)).toEqual([]);
  });

  it('[[error:529]]: api_retry messages, then an error result with the terminal reason, no hang', async () => {
    const startedAt = Date.now();
    const result = await offline.client.querySingle('[[error:529]] are you there?');
    expect(Date.now() - startedAt).toBeLessThan(20_000);
    expect(
      types(result.messages).filter((type) => type === 'system/api_retry').length,
    ).toBeGreaterThan(0);
    expect(result.isError).toBe(true);
    expect(result.terminalReason).toBe('api_error');
    expect(result.apiErrorStatus).toBe(529);
    expect(result.errors.join(' ')).toContain('529');
    expect(result.ranTool).toBe(false);
  });

  it('[[error:500:1]] succeeds after one retry of the CLI', async () => {
    const result = await offline.client.querySingle('[[error:500:1]] second time lucky');
    expect(types(result.messages).filter((type) => type === 'system/api_retry')).toHaveLength(1);
    expect(result.isError).toBe(false);
    expect(result.text).toBe('Echo: second time lucky');
  });

  it('[[broken]]: a stream cut after the first delta recovers', async () => {
    const result = await offline.client.querySingle('[[broken]] please survive');
    expect(result.isError).toBe(false);
    expect(result.text).toBe('Echo: please survive');
    const served = offline.fixture.model.requests.filter(
      (request) => request.sessionId === result.sessionId,
    );
    expect(served.map((request) => request.outcome)).toContain('broken');
  });
});
