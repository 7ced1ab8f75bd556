import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { createClient } from '@agent-sessions/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestServer, type TestServer } from './support/test-server.js';

// The terminal chat, run in a real pseudo-terminal by tmux, typed into with send-keys and read
// back with capture-pane, as a person at a terminal would use it.
const root = join(import.meta.dirname, '..');
const socket = `agent-sessions-e2e-${process.pid}`;
const tmux = (...args: string[]) =>
  execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
const screen = (name: string) => tmux('capture-pane', '-p', '-J', '-S', '-200', '-t', name);
const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

async function waitForScreen(name: string, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = screen(name);
    if (pattern.test(text)) return text;
    if (Date.now() > deadline) throw new Error(`screen never matched ${pattern}:\n${text}`);
    await sleep(100);
  }
}

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ permissionMode: 'default' });
});
afterAll(async () => {
  try {
    tmux('kill-server');
  } catch {
    // No tmux server left.
  }
  await server?.close();
});

/** The last non-empty line of the pane: `›` when the chat waits for a message. */
const lastLine = (text: string) => text.trimEnd().split('\n').at(-1) ?? '';

async function waitForPrompt(name: string, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = screen(name);
    if (lastLine(text) === '›') return text;
    if (Date.now() > deadline) throw new Error(`no prompt on the last line:\n${text}`);
    await sleep(100);
  }
}

const sessionIdOn = (text: string) => /session (\S+) \(resume with/.exec(text)?.[1] ?? '';

function startChat(name: string, ...extraArgs: string[]): void {
  const command = [
    process.execPath,
    '--conditions=source',
    '--import',
    'tsx',
    join(root, 'packages/cli/src/bin.ts'),
    'chat',
    '--url',
    server.url,
    ...extraArgs,
  ].join(' ');
  // `; echo` keeps the pane open after the chat exits so its last screen can be read.
  tmux(
    'new-session',
    '-d',
    '-s',
    name,
    '-x',
    '140',
    '-y',
    '40',
    '-c',
    root,
    `${command}; echo "[exit $?]"; sleep 60`,
  );
}

describe('terminal chat in a pseudo-terminal', () => {
  it('streams a reply, asks before a tool runs, interrupts on Ctrl-C and exits on a second Ctrl-C', async () => {
    startChat('chat');
    await waitForScreen('chat', /connected to .* · idle/);

    tmux('send-keys', '-t', 'chat', 'hello from tmux', 'Enter');
    await waitForScreen('chat', /Echo: hello from tmux\n.*success · \$\d/);

    tmux('send-keys', '-t', 'chat', '[[tool:Bash:{"command":"echo hi > out.txt"}]]', 'Enter');
    await waitForScreen('chat', /\? Allow Bash \{"command":"echo hi > out\.txt"\} \[y\/n\]/);
    tmux('send-keys', '-t', 'chat', 'y', 'Enter');
    await waitForScreen('chat', /allowed\n.*↳[\s\S]*Tool Bash done[\s\S]*success · \$/);

    tmux('send-keys', '-t', 'chat', '[[slow:8000]] a long reply to interrupt', 'Enter');
    await sleep(1500);
    const beforeInterrupt = Date.now();
    tmux('send-keys', '-t', 'chat', 'C-c');
    const interrupted = await waitForScreen('chat', /\^C interrupting[\s\S]*interrupted · \$/);
    // The slow reply would take 8 s; the interrupt ends it long before.
    expect(Date.now() - beforeInterrupt).toBeLessThan(6000);
    expect(interrupted).not.toMatch(/Echo: a long reply to interrupt\n/);

    await sleep(300);
    tmux('send-keys', '-t', 'chat', 'C-c');
    const last = await waitForScreen('chat', /\[exit 0\]/);
    expect(last).toMatch(/bye/);
  }, 90_000);

  it('reopening a session whose permission was answered asks nothing: the typed line is a message', async () => {
    startChat('first');
    const started = await waitForScreen('first', /connected to .* · idle/);
    const sessionId = sessionIdOn(started);
    expect(sessionId).not.toBe('');
    tmux('send-keys', '-t', 'first', '[[tool:Bash:{"command":"echo hi > reopened.txt"}]]', 'Enter');
    await waitForScreen('first', /\? Allow Bash/);
    tmux('send-keys', '-t', 'first', 'y', 'Enter');
    await waitForScreen('first', /allowed\n[\s\S]*success · \$/);
    tmux('send-keys', '-t', 'first', 'C-c');
    await waitForScreen('first', /\[exit 0\]/);

    startChat('reopened', '--session', sessionId);
    await waitForScreen('reopened', /allowed\n[\s\S]*success · \$/);
    await waitForPrompt('reopened');
    tmux('send-keys', '-t', 'reopened', 'repro line', 'Enter');
    await waitForScreen('reopened', /Echo: repro line\n.*success · \$/);
    const last = await waitForPrompt('reopened');
    expect(last).not.toContain('PERMISSION_NOT_FOUND');
    expect(last).not.toContain('? Allow');
    expect(last).not.toMatch(/› ›/);
  }, 90_000);

  it('withdraws a prompt answered over HTTP, then takes the next line as a message', async () => {
    startChat('withdraw');
    const started = await waitForScreen('withdraw', /connected to .* · idle/);
    const sessionId = sessionIdOn(started);
    tmux(
      'send-keys',
      '-t',
      'withdraw',
      '[[tool:Bash:{"command":"echo hi > withdrawn.txt"}]]',
      'Enter',
    );
    await waitForScreen('withdraw', /\? Allow Bash/);
    const client = createClient({ url: server.url, WebSocket });
    const [requestId] = (await client.getAllEvents(sessionId)).flatMap((entry) =>
      entry.type === 'permission.request' ? [entry.requestId] : [],
    );
    await client.respondToPermission(sessionId, String(requestId), 'allow');
    await waitForScreen('withdraw', /\(answered elsewhere: allow\)[\s\S]*success · \$/);
    await waitForPrompt('withdraw');
    tmux('send-keys', '-t', 'withdraw', 'next line', 'Enter');
    const last = await waitForScreen('withdraw', /Echo: next line\n.*success · \$/);
    expect(last).not.toContain('PERMISSION_NOT_FOUND');
    await waitForPrompt('withdraw');
  }, 90_000);

  it('an unknown session prints one error and exits 1', async () => {
    startChat('unknown', '--session', 'nope');
    const last = await waitForScreen('unknown', /\[exit \d+\]/);
    expect(last).toContain('[exit 1]');
    expect(last).toContain('✗ No session "nope". (SESSION_NOT_FOUND)');
    expect(last.match(/SESSION_NOT_FOUND/g)).toHaveLength(1);
  }, 60_000);

  it('redraws the prompt once after a reconnect and after a failed turn', async () => {
    startChat('redraw');
    await waitForScreen('redraw', /connected to .* · idle/);
    await waitForPrompt('redraw');

    await server.stop();
    await waitForScreen('redraw', /connection lost, reconnecting/);
    await server.start();
    await waitForScreen('redraw', /reconnected/);
    expect(await waitForPrompt('redraw')).not.toMatch(/› ›/);
    tmux('send-keys', '-t', 'redraw', 'after reconnect', 'Enter');
    await waitForScreen('redraw', /Echo: after reconnect\n.*success · \$/);
    await waitForPrompt('redraw');

    // The last message of the session: the scripted error sticks to the conversation.
    tmux('send-keys', '-t', 'redraw', '[[error:401]] fail this turn', 'Enter');
    await waitForScreen('redraw', /✗ [^\n]*\(AGENT_FAILED\)[\s\S]*error · \$/);
    const last = await waitForPrompt('redraw');
    expect(last).not.toMatch(/› ›/);
  }, 90_000);
});
