import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import {
  type AgentSessionsClient,
  contentText,
  createClient,
  type SessionConnection,
} from '@agent-sessions/client';
import type { AgentSessionsError, LogEntry } from '@agent-sessions/protocol';
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

interface PermissionPrompt {
  requestId: string;
  toolName: string;
  input: unknown;
}

// Codes after which the server closes the socket for good: reported once, as the exit reason.
const FATAL_CODES = new Set(['SESSION_NOT_FOUND', 'NOT_FOUND', 'UNAUTHORIZED', 'FORBIDDEN']);

/**
 * Runs an interactive (or scripted) chat against a server: lines from `input` are sent as
 * messages; replies stream to `output`. Ctrl-C interrupts a running turn, a second Ctrl-C
 * (when idle, or within 2 s) exits. When `input` ends, it waits for the turns it started, then
 * resolves with the session id. It rejects (with an `AgentSessionsError`) when the session does
 * not exist or the server closes the connection for good.
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

  let sessionId: string;
  if (options.sessionId) {
    // Fails fast with SESSION_NOT_FOUND instead of opening a socket the server will close.
    sessionId = (await client.getSession(options.sessionId)).id;
  } else {
    sessionId = (await client.createSession()).id;
  }
  const connection: SessionConnection = client.session(sessionId).connect();

  const ourMessages = new Set<string>();
  const sentIds = new Set<string>();
  let inflightSends = 0;
  let inputEnded = false;
  let running = false;
  let streamedText = false;
  let atLineStart = true;
  let lastInterruptAt = 0;
  let connected = false;
  const permissionQueue: PermissionPrompt[] = [];
  const resolvedPermissions = new Set<string>();
  // The permission the next typed line answers; null: the next line is a message.
  let asking: PermissionPrompt | null = null;
  // Seq of the last entry the server had when it accepted the connection: requests replayed
  // before it may be resolved further on in the replay, so nobody is asked before then.
  let replayEndSeq = Number.POSITIVE_INFINITY;
  const caughtUp = () => connection.lastSeq >= replayEndSeq;

  // The prompt is drawn by readline on a TTY only; asynchronous output erases it first and
  // redraws it once afterwards, so it never ends up in the middle of (or twice on) a line.
  let promptShown = false;
  let redrawScheduled = false;
  const hidePrompt = () => {
    if (!promptShown) return;
    output.write('\r\u001b[2K');
    promptShown = false;
  };
  const wantsPrompt = () =>
    color &&
    connected &&
    !inputEnded &&
    caughtUp() &&
    (asking !== null || (!running && inflightSends === 0 && ourMessages.size === 0));
  const redraw = () => {
    redrawScheduled = false;
    if (!wantsPrompt() || spinnerTimer) return;
    reader.setPrompt(asking ? permissionQuestion(asking) : paint(bold, '› '));
    reader.prompt(true);
    promptShown = true;
  };
  const scheduleRedraw = () => {
    if (redrawScheduled) return;
    redrawScheduled = true;
    setImmediate(redraw);
  };

  const status = (text: string) => {
    hidePrompt();
    errorOutput.write(`${paint(dim, text)}\n`);
    scheduleRedraw();
  };
  // Spinner: only on a TTY, only while waiting for the first token of a turn.
  let spinnerTimer: ReturnType<typeof setInterval> | undefined;
  let spinnerFrame = 0;
  const startSpinner = () => {
    if (!color || spinnerTimer) return;
    hidePrompt();
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
    hidePrompt();
    if (!atLineStart) print('\n');
    print(`${text}\n`);
    atLineStart = true;
    scheduleRedraw();
  };
  // Permission notices stay out of `--json` output, which holds log entries only.
  const notice = (text: string) => (json ? status(text) : line(text));

  let finish: (() => void) | undefined;
  let fail: ((error: Error) => void) | undefined;
  const finished = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const maybeFinish = () => {
    if (inputEnded && inflightSends === 0 && ourMessages.size === 0 && asking === null) finish?.();
  };

  const reader = createInterface({
    input: options.input,
    output: color ? output : undefined,
    terminal: color,
    prompt: color ? paint(bold, '› ') : '',
  });
  if (!options.sessionId) status(`session ${sessionId} (resume with --session ${sessionId})`);

  function permissionQuestion(request: PermissionPrompt): string {
    return `${paint(yellow, '?')} Allow ${paint(bold, request.toolName)} ${short(request.input)} ${paint(dim, '[y/n]')} `;
  }

  const askNextPermission = () => {
    if (asking !== null || !caughtUp()) return;
    const next = permissionQueue.shift();
    if (!next) return;
    if (resolvedPermissions.has(next.requestId)) {
      askNextPermission();
      return;
    }
    if (options.interactive === false) {
      notice(
        paint(
          yellow,
          `! ${next.toolName} wants to run ${short(next.input)} (answer in another client)`,
        ),
      );
      askNextPermission();
      return;
    }
    if (inputEnded) {
      // Nobody is left to answer (input closed): refuse rather than hang.
      notice(paint(yellow, `! denied ${next.toolName} ${short(next.input)}: input is closed`));
      connection.respondToPermission(next.requestId, 'deny').catch(() => {});
      askNextPermission();
      return;
    }
    asking = next;
    if (color) {
      stopSpinner();
      if (!atLineStart) print('\n');
      atLineStart = true;
      scheduleRedraw();
    } else {
      // No prompt without a terminal: print the question so a pipe or log shows what is asked.
      notice(permissionQuestion(next).trimEnd());
    }
  };

  const withdrawPermission = (behavior: string) => {
    asking = null;
    if (color) {
      // Drop a half-typed answer: the next line is a message, not "y".
      reader.write(null, { ctrl: true, name: 'e' });
      reader.write(null, { ctrl: true, name: 'u' });
    }
    notice(paint(dim, `  (answered elsewhere: ${behavior})`));
    askNextPermission();
    maybeFinish();
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
              hidePrompt();
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
      case 'error':
        line(paint(red, `✗ ${String(entry.error)} (${String(entry.code)})`));
        return;
      case 'turn.ended': {
        running = false;
        const outcome = String(entry.outcome);
        const style = outcome === 'success' ? green : outcome === 'interrupted' ? yellow : red;
        ourMessages.delete(String(entry.messageId));
        line(
          paint(
            dim,
            `${paint(style, outcome)} · $${Number(entry.costUsd).toFixed(4)} · ${formatDuration(Number(entry.durationMs))}`,
          ),
        );
        maybeFinish();
        return;
      }
      case 'message.cancelled':
        ourMessages.delete(String(entry.messageId));
        line(paint(yellow, `message dropped: ${String(entry.reason)}`));
        maybeFinish();
        return;
      case 'session.reset':
        line(paint(dim, '— conversation reset —'));
        return;
      default:
        return;
    }
  };

  const handlePermission = (entry: Record_) => {
    if (entry.type === 'permission.request') {
      if (!resolvedPermissions.has(String(entry.requestId))) {
        permissionQueue.push({
          requestId: String(entry.requestId),
          toolName: String(entry.toolName),
          input: entry.input,
        });
      }
      return;
    }
    if (entry.type !== 'permission.resolved') return;
    const requestId = String(entry.requestId);
    const behavior = String(entry.behavior);
    resolvedPermissions.add(requestId);
    const index = permissionQueue.findIndex((item) => item.requestId === requestId);
    if (index >= 0) permissionQueue.splice(index, 1);
    if (asking?.requestId === requestId) {
      withdrawPermission(behavior);
      return;
    }
    if (!json) line(paint(dim, `  ${behavior === 'allow' ? 'allowed' : 'denied'}`));
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
    } else {
      render(record);
    }
    handlePermission(record);
    askNextPermission();
    scheduleRedraw();
  });
  connection.on('stream', (frame) => {
    if (json) return;
    const event = frame.event as Record_ | undefined;
    if (frame.parent_tool_use_id || event?.type !== 'content_block_delta') return;
    const delta = event.delta as Record_ | undefined;
    if (delta?.type !== 'text_delta' || typeof delta.text !== 'string') return;
    stopSpinner();
    hidePrompt();
    print(delta.text);
    atLineStart = delta.text.endsWith('\n');
    streamedText = true;
  });
  let closing = false;
  let fatalError: AgentSessionsError | undefined;
  connection.on('state', (state) => {
    if (state === 'reconnecting') status('connection lost, reconnecting…');
    if (state === 'open' && connected) status('reconnected');
    if (state === 'closed' && !closing) {
      fail?.(
        fatalError ??
          Object.assign(new Error('The server closed the connection.'), { code: 'CLOSED' }),
      );
    }
  });
  connection.on('ready', ({ session, lastSeq }) => {
    replayEndSeq = lastSeq;
    if (!connected) {
      status(`connected to ${client.url} · session ${session.id} · ${session.status}`);
      connected = true;
    }
    askNextPermission();
    scheduleRedraw();
  });
  connection.on('error', (error) => {
    if (FATAL_CODES.has(error.code)) {
      // The server closes the socket right after: report it once, as the reason to exit.
      fatalError ??= error;
      return;
    }
    line(paint(red, `✗ ${error.message} (${error.code})`));
  });

  reader.on('line', (text) => {
    promptShown = false;
    const content = text.trim();
    if (asking !== null) {
      const request = asking;
      asking = null;
      const behavior = /^y(es)?$/i.test(content) ? 'allow' : 'deny';
      connection.respondToPermission(request.requestId, behavior).catch((error: unknown) => {
        line(paint(red, `permission answer failed: ${String(error)}`));
      });
      askNextPermission();
      maybeFinish();
      scheduleRedraw();
      return;
    }
    if (content.length === 0) {
      scheduleRedraw();
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
        scheduleRedraw();
      });
  });
  reader.on('close', () => {
    inputEnded = true;
    if (asking !== null && !closing) {
      // Nobody is left to answer: refuse rather than hang.
      const request = asking;
      asking = null;
      notice(
        paint(yellow, `! denied ${request.toolName} ${short(request.input)}: input is closed`),
      );
      connection.respondToPermission(request.requestId, 'deny').catch(() => {});
    }
    askNextPermission();
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
    inputEnded = true;
    line(paint(dim, 'bye'));
    ourMessages.clear();
    finish?.();
  });
  // Without a terminal, readline does not turn Ctrl-C into 'SIGINT'; the process gets it.
  const onSignal = () => reader.emit('SIGINT');
  if (!color) process.on('SIGINT', onSignal);

  try {
    await finished;
  } finally {
    closing = true;
    inputEnded = true;
    stopSpinner();
    process.off('SIGINT', onSignal);
    reader.close();
    connection.close();
  }
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
        const code = (error as { code?: unknown } | null)?.code;
        const text = error instanceof Error ? error.message : String(error);
        const message = typeof code === 'string' ? `✗ ${text} (${code})` : `✗ ${text}`;
        process.stderr.write(`${message}\n`);
        process.exit(1);
      }
    });
}
