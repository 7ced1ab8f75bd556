import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

function startChat(name: string): void {
  const command = [
    process.execPath,
    '--conditions=source',
    '--import',
    'tsx',
    join(root, 'packages/cli/src/bin.ts'),
    'chat',
    '--url',
    server.url,
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
});
