import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createClient } from '@agent-sessions/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestServer, type TestServer } from '../../../e2e/support/test-server.js';
import { runChat } from './chat-command.js';

function collect() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
  });
  return { stream, text: () => text };
}

async function waitFor(check: () => boolean, what: () => string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const toolMessage = '[[tool:Bash:{"command":"echo permitted > permitted.txt"}]]';

/** Runs `agent-sessions chat <args>` from the sources, stdin as given, and waits for its exit. */
function runChatProcess(args: string[], stdin: 'ignore' | 'pipe', timeoutMs = 30_000) {
  const binPath = fileURLToPath(new URL('./bin.ts', import.meta.url));
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', binPath, 'chat', ...args],
    { stdio: [stdin, 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  // The pipe stays open, as an idle person at a (non-TTY) input would keep it.
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    child.on('exit', (code) => {
      clearTimeout(timer);
      child.stdin?.destroy();
      resolve({ code, stdout, stderr });
    });
  });
}

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ permissionMode: 'default' });
});
afterAll(async () => {
  await server?.close();
});

describe('runChat', () => {
  it('--json prints every log entry of the session once, one JSON object per line', async () => {
    const client = createClient({ url: server.url, WebSocket });
    const input = new PassThrough();
    const output = collect();
    const errors = collect();
    input.end('[[reply:scripted]] one\nsecond line\n');
    const sessionId = await runChat({
      client,
      json: true,
      input,
      output: output.stream,
      errorOutput: errors.stream,
    });
    const printed = output
      .text()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { seq: number; type: string });
    const log = await client.getAllEvents(sessionId);
    // It exits once both of its turns ended; entries after that may still be coming.
    expect(printed).toEqual(log.slice(0, printed.length));
    expect(printed.filter((entry) => entry.type === 'turn.ended')).toHaveLength(2);
    expect(errors.text()).toContain(`session ${sessionId}`);
  }, 60_000);

  it('renders replies and tool calls, and refuses a permission when input is closed', async () => {
    const client = createClient({ url: server.url, WebSocket });
    const input = new PassThrough();
    const output = collect();
    input.end('hello\n[[tool:Bash:{"command":"echo hi > out.txt"}]]\n');
    await runChat({ client, input, output: output.stream, errorOutput: new PassThrough() });
    const text = output.text();
    expect(text).toMatch(/› hello\nEcho: hello\nsuccess · \$0\.\d{4} · /);
    expect(text).toContain('⚙ Bash {"command":"echo hi > out.txt"}');
    expect(text).toContain('! denied Bash');
    // No colours without a terminal: output stays clean for logs and pipes.
    expect(text).not.toContain('\u001b[');
  }, 60_000);

  it('a permission already resolved in the replayed log is not asked: the next line is a message', async () => {
    const client = createClient({ url: server.url, WebSocket });
    const { id: sessionId } = await client.createSession();
    const setup = client.session(sessionId).connect();
    setup.on('entry', (entry) => {
      if (entry.type === 'permission.request') {
        void client.respondToPermission(sessionId, String(entry.requestId), 'allow');
      }
    });
    await setup.send(toolMessage);
    for await (const entry of setup) if (entry.type === 'turn.ended') break;
    setup.close();

    const input = new PassThrough();
    const output = collect();
    const errors = collect();
    const chat = runChat({
      client,
      sessionId,
      input,
      output: output.stream,
      errorOutput: errors.stream,
    });
    // Type only after the whole log (request, then its resolution) has been replayed.
    await waitFor(
      () => /allowed[\s\S]*success · /.test(output.text()),
      () => output.text(),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    input.end('repro line\n');
    await chat;

    const log = await client.getAllEvents(sessionId);
    const queued = log.flatMap((entry) =>
      entry.type === 'message.queued' ? [JSON.stringify(entry.content)] : [],
    );
    expect(queued).toContain('"repro line"');
    expect(output.text()).not.toContain('PERMISSION_NOT_FOUND');
    expect(output.text()).not.toContain('? Allow');
    expect(output.text()).toContain('Echo: repro line');
  }, 60_000);

  it('withdraws a pending prompt answered elsewhere (HTTP): the next line is a message', async () => {
    const client = createClient({ url: server.url, WebSocket });
    const input = new PassThrough();
    const output = collect();
    const errors = collect();
    const chat = runChat({ client, input, output: output.stream, errorOutput: errors.stream });
    await waitFor(
      () => /connected to/.test(errors.text()),
      () => errors.text(),
    );
    const sessionId = /session (\S+) \(resume/.exec(errors.text())![1]!;
    input.write(`${toolMessage}\n`);
    await waitFor(
      () =>
        output.text().includes('? Allow Bash {"command":"echo permitted > permitted.txt"} [y/n]'),
      () => output.text(),
    );
    const [requestId] = (await client.getAllEvents(sessionId)).flatMap((entry) =>
      entry.type === 'permission.request' ? [entry.requestId] : [],
    );
    await client.respondToPermission(sessionId, String(requestId), 'allow');
    await waitFor(
      () => output.text().includes('(answered elsewhere: allow)'),
      () => output.text(),
    );
    input.end('after the withdrawn prompt\n');
    await chat;

    const log = await client.getAllEvents(sessionId);
    const queued = log.flatMap((entry) =>
      entry.type === 'message.queued' ? [JSON.stringify(entry.content)] : [],
    );
    expect(queued).toContain('"after the withdrawn prompt"');
    expect(log.filter((entry) => entry.type === 'turn.ended')).toHaveLength(2);
    expect(output.text()).toContain('Echo: after the withdrawn prompt');
    expect(output.text()).not.toContain('PERMISSION_NOT_FOUND');
  }, 60_000);

  it('rejects with SESSION_NOT_FOUND for an unknown session', async () => {
    const client = createClient({ url: server.url, WebSocket });
    const input = new PassThrough();
    await expect(
      runChat({
        client,
        sessionId: 'nope',
        input,
        output: new PassThrough(),
        errorOutput: new PassThrough(),
      }),
    ).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' });
    input.destroy();
  });

  it.each([
    ['stdin from /dev/null', 'ignore'],
    ['stdin an open pipe', 'pipe'],
  ] as const)(
    'chat --session <unknown> with %s prints one error and exits 1',
    async (_name, stdin) => {
      const result = await runChatProcess(['--url', server.url, '--session', 'nope'], stdin);
      expect(result.code).toBe(1);
      expect(result.stderr.trim()).toBe('✗ No session "nope". (SESSION_NOT_FOUND)');
      expect(result.stdout).toBe('');
    },
    40_000,
  );
});
