import { PassThrough } from 'node:stream';
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
});
