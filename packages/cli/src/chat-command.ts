import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import {
  type AgentSessionsClient,
  contentText,
  createClient,
  type SessionConnection,
} from '@agent-sessions/client';
import type { LogEntry } from '@agent-sessions/protocol';
import type { Command } from 'commander';
import WebSocket from 'ws';

/** Options of {@link runChat}. */
export interface ChatOptions {
  client: AgentSessionsClient;
  /** Session to join; a new one is created when absent. */
  sessionId?: string;
  /** Print raw log entries, one JSON object per line, instead of the conversation. */
  json?: boolean;
  input: Readable;
  output: Writable & { isTTY?: boolean; columns?: number };
  /** Status lines (session id, reconnects) go here, never into `--json` output. */
  errorOutput: Writable;
  /** Answer permission prompts through the input (default true). */
  interactive?: boolean;
}

const ansi = (code: string) => (text: string) => `\u001b[${code}m${text}\u001b[0m`;
const dim = ansi('2');
const bold = ansi('1');
const cyan = ansi('36');
const red = ansi('31');
const green = ansi('32');
const yellow = ansi('33');
const spinnerFrames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

function short(value: unknown, length = 160): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const line = (text ?? '').replace(/\s+/g, ' ').trim();
  return line.length > length ? `${line.slice(0, length - 1)}…` : line;
}

function formatDuration(milliseconds: number): string {
  return milliseconds < 1000
    ? `${Math.round(milliseconds)} ms`
    : `${(milliseconds / 1000).toFixed(1)} s`;
}

type Record_ = Record<string, unknown>;

/**
 * Runs an interactive (or scripted) chat against a server: lines from `input` are sent as
 * messages; replies stream to `output`. Ctrl-C interrupts a running turn, a second Ctrl-C
 * (when idle, or within 2 s) exits. When `input` ends, it waits for the turns it started, then
 * resolves with the session id.
 *
 * @example
 * ```ts
 * const client = createClient({ url: 'http://127.0.0.1:3000', WebSocket });
 * await runChat({ client, input: process.stdin, output: process.stdout, errorOutput: process.stderr });
 * ```
 */
export async function runChat(options: ChatOptions): Promise<string> {
  const { client, output, errorOutput, json = false } = options;
  const color = output.isTTY === true && !json;
  const paint = (style: (text: string) => string, text: string) => (color ? style(text) : text);
  const print = (text: string) => output.write(text);
  const status = (text: string) => errorOutput.write(`${paint(dim, text)}\n`);

  const sessionId = options.sessionId ?? (await client.createSession()).id;
  if (!options.sessionId) status(`session ${sessionId} (resume with --session ${sessionId})`);
  const connection: SessionConnection = client.session(sessionId).connect();

  const ourMessages = new Set<string>();
  const sentIds = new Set<string>();
  let inflightSends = 0;
  let inputEnded = false;
  let running = false;
  let streamedText = false;
  let atLineStart = true;
  let lastInterruptAt = 0;
  const permissionQueue: Array<{ requestId: string; toolName: string; input: unknown }> = [];
  let askingPermission = false;

  // Spinner: only on a TTY, only while waiting for the first token of a turn.
  let spinnerTimer: ReturnType<typeof setInterval> | undefined;
  let spinnerFrame = 0;
  const startSpinner = () => {
    if (!color || spinnerTimer) return;
    spinnerTimer = setInterval(() => {
      output.write(`\r${paint(cyan, spinnerFrames[spinnerFrame % spinnerFrames.length]!)} `);
      spinnerFrame += 1;
    }, 80);
  };
  const stopSpinner = () => {
    if (!spinnerTimer) return;
    clearInterval(spinnerTimer);
    spinnerTimer = undefined;
    output.write('\r  \r');
  };

  const line = (text: string) => {
    stopSpinner();
    if (!atLineStart) print('\n');
    print(`${text}\n`);
    atLineStart = true;
  };

  let finish: (() => void) | undefined;
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const maybeFinish = () => {
    if (inputEnded && inflightSends === 0 && ourMessages.size === 0 && !askingPermission)
      finish?.();
  };

  const reader = createInterface({
    input: options.input,
    output: color ? output : undefined,
    terminal: color,
    prompt: color ? paint(bold, '› ') : '',
  });
  const prompt = () => {
    if (color && !running && !askingPermission) reader.prompt();
  };

  const askNextPermission = () => {
    if (askingPermission) return;
    const next = permissionQueue.shift();
    if (!next) return;
    if (options.interactive === false) {
      line(
        paint(
          yellow,
          `! ${next.toolName} wants to run ${short(next.input)} (answer in another client)`,
        ),
      );
      return;
    }
    if (inputEnded) {
      // Nobody is left to answer (input closed): refuse rather than hang.
      line(paint(yellow, `! denied ${next.toolName} ${short(next.input)}: input is closed`));
      connection.respondToPermission(next.requestId, 'deny').catch(() => {});
      askNextPermission();
      return;
    }
    askingPermission = true;
    stopSpinner();
    if (!atLineStart) print('\n');
    atLineStart = true;
    reader.question(
      `${paint(yellow, '?')} Allow ${paint(bold, next.toolName)} ${short(next.input)} ${paint(dim, '[y/n]')} `,
      (answer) => {
        askingPermission = false;
        const behavior = /^y(es)?$/i.test(answer.trim()) ? 'allow' : 'deny';
        connection.respondToPermission(next.requestId, behavior).catch((error: unknown) => {
          line(paint(red, `permission answer failed: ${String(error)}`));
        });
        askNextPermission();
        maybeFinish();
      },
    );
  };

  const render = (entry: Record_) => {
    switch (entry.type) {
      case 'message.started':
        running = true;
        streamedText = false;
        if (!ourMessages.has(String(entry.messageId)) || !color) {
          // History, a message from another client, or no terminal echo: show what was asked.
          line(paint(bold, `› ${short(entry.userText ?? '', 2000)}`));
        }
        startSpinner();
        return;
      case 'assistant': {
        const message = (entry.message ?? {}) as Record_;
        const blocks = Array.isArray(message.content) ? (message.content as Record_[]) : [];
        for (const block of blocks) {
          if (block.type === 'text' && typeof block.text === 'string') {
            if (streamedText) {
              if (!atLineStart) print('\n');
            } else {
              stopSpinner();
              if (!atLineStart) print('\n');
              print(`${block.text}\n`);
            }
            atLineStart = true;
            streamedText = false;
          } else if (block.type === 'tool_use') {
            line(
              `${paint(cyan, '⚙')} ${paint(bold, String(block.name))} ${paint(dim, short(block.input))}`,
            );
          }
        }
        return;
      }
      case 'user': {
        const message = (entry.message ?? {}) as Record_;
        const blocks = Array.isArray(message.content) ? (message.content as Record_[]) : [];
        for (const block of blocks) {
          if (block.type !== 'tool_result') continue;
          const text = short(
            typeof block.content === 'string' ? block.content : contentText(block.content),
            200,
          );
          line(`  ${paint(block.is_error ? red : dim, `↳ ${text || '(no output)'}`)}`);
        }
        return;
      }
      case 'permission.request':
        permissionQueue.push({
          requestId: String(entry.requestId),
          toolName: String(entry.toolName),
          input: entry.input,
        });
        askNextPermission();
        return;
      case 'permission.resolved': {
        const index = permissionQueue.findIndex((item) => item.requestId === entry.requestId);
        if (index >= 0) permissionQueue.splice(index, 1);
        line(paint(dim, `  ${entry.behavior === 'allow' ? 'allowed' : 'denied'}`));
        return;
      }
      case 'error':
        line(paint(red, `✗ ${String(entry.error)} (${String(entry.code)})`));
        return;
      case 'turn.ended': {
        running = false;
        const outcome = String(entry.outcome);
        const style = outcome === 'success' ? green : outcome === 'interrupted' ? yellow : red;
        line(
          paint(
            dim,
            `${paint(style, outcome)} · $${Number(entry.costUsd).toFixed(4)} · ${formatDuration(Number(entry.durationMs))}`,
          ),
        );
        ourMessages.delete(String(entry.messageId));
        maybeFinish();
        prompt();
        return;
      }
      case 'message.cancelled':
        line(paint(yellow, `message dropped: ${String(entry.reason)}`));
        ourMessages.delete(String(entry.messageId));
        maybeFinish();
        return;
      case 'session.reset':
        line(paint(dim, '— conversation reset —'));
        return;
      default:
        return;
    }
  };

  // Queued user text, to show on message.started (the started entry carries only the id).
  const queuedText = new Map<string, string>();
  connection.on('entry', (entry: LogEntry) => {
    if (json) {
      print(`${JSON.stringify(entry)}\n`);
    }
    const record = entry as unknown as Record_;
    if (entry.type === 'message.queued') {
      queuedText.set(String(record.messageId), contentText(record.content));
      if (typeof record.clientMessageId === 'string' && sentIds.has(record.clientMessageId)) {
        ourMessages.add(String(record.messageId));
      }
    }
    if (entry.type === 'message.started') {
      record.userText = queuedText.get(String(record.messageId)) ?? '';
      queuedText.delete(String(record.messageId));
    }
    if (json) {
      if (entry.type === 'turn.ended' || entry.type === 'message.cancelled') {
        ourMessages.delete(String(record.messageId));
        maybeFinish();
      }
      if (entry.type === 'permission.request' && options.interactive !== false) render(record);
      return;
    }
    render(record);
  });
  connection.on('stream', (frame) => {
    if (json) return;
    const event = frame.event as Record_ | undefined;
    if (frame.parent_tool_use_id || event?.type !== 'content_block_delta') return;
    const delta = event.delta as Record_ | undefined;
    if (delta?.type !== 'text_delta' || typeof delta.text !== 'string') return;
    stopSpinner();
    print(delta.text);
    atLineStart = delta.text.endsWith('\n');
    streamedText = true;
  });
  let connected = false;
  connection.on('state', (state) => {
    if (state === 'reconnecting') status('connection lost, reconnecting…');
    if (state === 'open' && connected) status('reconnected');
  });
  connection.on('ready', ({ session }) => {
    if (!connected) {
      status(`connected to ${client.url} · session ${session.id} · ${session.status}`);
      connected = true;
      setTimeout(prompt, 50);
    }
  });
  connection.on('error', (error) => {
    line(paint(red, `✗ ${error.message} (${error.code})`));
    if (connection.state === 'closed') {
      inputEnded = true;
      ourMessages.clear();
      finish?.();
    }
  });

  reader.on('line', (text) => {
    const content = text.trim();
    if (content.length === 0) {
      prompt();
      return;
    }
    const clientMessageId = `cli-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
    sentIds.add(clientMessageId);
    inflightSends += 1;
    atLineStart = true;
    if (!running) startSpinner();
    connection
      .send(content, { clientMessageId })
      .then((ack) => {
        ourMessages.add(ack.messageId);
      })
      .catch((error: unknown) => {
        line(paint(red, `✗ not sent: ${error instanceof Error ? error.message : String(error)}`));
      })
      .finally(() => {
        inflightSends -= 1;
        maybeFinish();
      });
  });
  reader.on('close', () => {
    inputEnded = true;
    maybeFinish();
  });
  reader.on('SIGINT', () => {
    const now = Date.now();
    if (running && now - lastInterruptAt > 2000) {
      lastInterruptAt = now;
      line(paint(yellow, '^C interrupting… (Ctrl-C again to exit)'));
      connection.interrupt().catch(() => {});
      return;
    }
    line(paint(dim, 'bye'));
    inputEnded = true;
    ourMessages.clear();
    finish?.();
  });
  // Without a terminal, readline does not turn Ctrl-C into 'SIGINT'; the process gets it.
  const onSignal = () => reader.emit('SIGINT');
  if (!color) process.on('SIGINT', onSignal);

  await finished;
  stopSpinner();
  process.off('SIGINT', onSignal);
  reader.close();
  connection.close();
  return sessionId;
}

/**
 * Adds `agent-sessions chat [--url] [--session ID] [--key] [--json]`.
 *
 * @example
 * ```ts
 * registerChatCommand(program);
 * // $ agent-sessions chat --url http://127.0.0.1:3000
 * ```
 */
export function registerChatCommand(program: Command): void {
  program
    .command('chat')
    .description('Chat with a session in the terminal (Ctrl-C interrupts, twice exits)')
    .option(
      '--url <url>',
      'server URL (AGENT_SESSIONS_URL)',
      process.env.AGENT_SESSIONS_URL ?? 'http://127.0.0.1:3000',
    )
    .option('--session <id>', 'join this session instead of creating one')
    .option('--key <key>', 'API key (AGENT_SESSIONS_API_KEY)', process.env.AGENT_SESSIONS_API_KEY)
    .option('--json', 'print raw log entries, one JSON object per line', false)
    .action(async (flags: { url: string; session?: string; key?: string; json: boolean }) => {
      const client = createClient({
        url: flags.url,
        ...(flags.key ? { apiKey: flags.key } : {}),
        WebSocket,
      });
      try {
        await runChat({
          client,
          ...(flags.session ? { sessionId: flags.session } : {}),
          json: flags.json,
          input: process.stdin,
          output: process.stdout,
          errorOutput: process.stderr,
        });
        process.exit(0);
      } catch (error) {
        process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      }
    });
}
