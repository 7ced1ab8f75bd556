import { createHash } from 'node:crypto';
import {
  createServer,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { anthropicError } from './anthropic-error.js';
import { parseDirectives } from './directives.js';
import { newId } from './ids.js';
import { estimateTokens, planResponse } from './plan-response.js';
import { messageEnvelope, pause, streamMessage } from './sse-writer.js';
import { readConversation } from './user-text.js';

export interface ScriptedModelOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number;
  /** Address to bind; defaults to 127.0.0.1. */
  host?: string;
  /** Receives one line per request served. */
  log?: (line: string) => void;
  /** Largest request body accepted, in bytes; defaults to 32 MiB (the API's own limit). */
  maxBodyBytes?: number;
}

/** How the scripted model answered a request. */
export type RequestOutcome =
  | 'text'
  | 'tool_use'
  | 'scripted_error'
  | 'broken'
  | 'client_closed'
  | 'count_tokens'
  | 'rejected';

/** One request the scripted model served (control requests under `/_scripted/` excluded). */
export interface RecordedRequest {
  method: string;
  /** The path without its query, e.g. `/v1/messages`. */
  path: string;
  /** The query string including `?`, or '' (the CLI sends `?beta=true`). */
  query: string;
  /** Request headers, lower-case names; `x-api-key` and `authorization` are redacted. */
  headers: Record<string, string>;
  /** The body parsed as JSON, or the raw text when it is not JSON ('' when empty). */
  body: unknown;
  /** From `x-claude-code-session-id`. */
  sessionId: string | undefined;
  /** The user's text of the turn (see scripted-model.md); undefined when not a model call. */
  userText: string | undefined;
  /** Whether the request asked for a streamed (SSE) response. */
  stream: boolean;
  /** HTTP status answered. */
  status: number;
  outcome: RequestOutcome;
  /** The `request-id` header answered. */
  requestId: string;
  /** When the request arrived, in ms since the epoch. */
  at: number;
}

/** What `GET /_scripted/requests` lists per request: a RecordedRequest without headers/body. */
export type RequestSummary = Omit<RecordedRequest, 'headers' | 'body'>;

/** A running scripted model. */
export interface ScriptedModel {
  /** Base URL to give the CLI as ANTHROPIC_BASE_URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  port: number;
  /** Every request served so far, oldest first (a live array). */
  requests: RecordedRequest[];
  requestCount(): number;
  clearRequests(): void;
  /** Stops listening, ends in-flight streams and open connections. */
  close(): Promise<void>;
}

interface TurnState {
  requests: number;
  brokenUsed: boolean;
}

const defaultMaxBodyBytes = 32 * 1024 * 1024;
// Turn state lives as long as the process; bound it so a long-running demo cannot grow forever.
const maxTurnStates = 10_000;
const modelPaths = new Set(['/v1/messages', '/v1/messages/count_tokens']);
const requestsPath = '/_scripted/requests';

/**
 * Starts the scripted model: a local fake of the Anthropic Messages API that the Claude Code
 * CLI accepts, driven by directives in the user's text (see scripted-model.md).
 *
 * @example
 * ```ts
 * const model = await createScriptedModel();
 * const env = { ANTHROPIC_BASE_URL: model.url, ANTHROPIC_API_KEY: 'test', ... };
 * // ... run query({ prompt: '[[reply:hi]]', options: { env } }) ...
 * console.log(model.requestCount());
 * await model.close();
 * ```
 */
export async function createScriptedModel(
  options: ScriptedModelOptions = {},
): Promise<ScriptedModel> {
  const host = options.host ?? '127.0.0.1';
  const maxBodyBytes = options.maxBodyBytes ?? defaultMaxBodyBytes;
  const log = options.log;
  const requests: RecordedRequest[] = [];
  const turns = new Map<string, TurnState>();
  const inFlight = new Set<AbortController>();

  const turnState = (key: string): TurnState => {
    let state = turns.get(key);
    if (!state) {
      state = { requests: 0, brokenUsed: false };
      turns.set(key, state);
      if (turns.size > maxTurnStates) turns.delete(turns.keys().next().value!);
    }
    return state;
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      log?.(`scripted model: unexpected error: ${String(error)}`);
      if (!response.headersSent && !response.destroyed) {
        sendJson(response, 500, anthropicError(500, 'scripted model internal error'));
      } else {
        response.destroy();
      }
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://scripted-model');
    const method = request.method ?? 'GET';
    if (url.pathname === requestsPath) {
      handleControl(method, response);
      return;
    }
    const requestId = newId('req');
    const controller = new AbortController();
    inFlight.add(controller);
    response.once('close', () => {
      controller.abort();
      inFlight.delete(controller);
    });

    const record: RecordedRequest = {
      method,
      path: url.pathname,
      query: url.search,
      headers: recordHeaders(request),
      body: '',
      sessionId: headerValue(request, 'x-claude-code-session-id'),
      userText: undefined,
      stream: false,
      status: 0,
      outcome: 'rejected',
      requestId,
      at: Date.now(),
    };
    const reject = (status: number, message: string, headers: OutgoingHttpHeaders = {}) => {
      record.status = status;
      record.outcome = 'rejected';
      requests.push(record);
      sendJson(response, status, anthropicError(status, message), {
        'request-id': requestId,
        ...headers,
      });
      logRecord(record);
    };

    const declaredLength = Number(request.headers['content-length'] ?? 0);
    if (declaredLength > maxBodyBytes) {
      reject(413, `request body of ${declaredLength} bytes exceeds ${maxBodyBytes}`, {
        connection: 'close',
      });
      return;
    }
    const body = await readBody(request, maxBodyBytes);
    if (body === 'aborted') return;
    if (body === 'too_large') {
      reject(413, `request body exceeds ${maxBodyBytes} bytes`, { connection: 'close' });
      return;
    }
    const parsed = parseJson(body);
    record.body = parsed.ok ? parsed.value : body;

    if (!modelPaths.has(url.pathname)) {
      reject(404, `${method} ${url.pathname}: not found`);
      return;
    }
    if (method !== 'POST') {
      reject(405, `${method} ${url.pathname}: method not allowed, use POST`, { allow: 'POST' });
      return;
    }
    const checked = checkMessagesBody(body, parsed);
    if (!checked.ok) {
      reject(400, checked.message);
      return;
    }
    const { messages, system, model: requestedModel, stream } = checked.payload;
    const conversation = readConversation(messages);
    record.userText = conversation.userText;
    const inputChars = JSON.stringify(system ?? '').length + JSON.stringify(messages).length;
    const directives = parseDirectives(conversation.userText);

    if (url.pathname === '/v1/messages/count_tokens') {
      record.status = 200;
      record.outcome = 'count_tokens';
      requests.push(record);
      sendJson(
        response,
        200,
        { input_tokens: directives.tokens?.input ?? estimateTokens(inputChars) },
        { 'request-id': requestId },
      );
      logRecord(record);
      return;
    }

    record.stream = stream === true;
    const sessionKey =
      record.sessionId ??
      `first-text:${createHash('sha256').update(conversation.firstUserText).digest('hex').slice(0, 16)}`;
    const state = turnState(
      `${sessionKey}\u0000${conversation.turnOrdinal}\u0000${conversation.userText}`,
    );
    state.requests++;

    const scriptedError = directives.error;
    if (
      scriptedError &&
      (scriptedError.times === undefined || state.requests <= scriptedError.times)
    ) {
      const { status } = scriptedError;
      record.status = status;
      record.outcome = 'scripted_error';
      requests.push(record);
      const headers: OutgoingHttpHeaders = { 'request-id': requestId };
      if (status === 429) headers['retry-after'] = '0';
      sendJson(
        response,
        status,
        anthropicError(status, `scripted error ${status} (request ${state.requests} of this turn)`),
        headers,
      );
      logRecord(record);
      return;
    }

    const plan = planResponse({
      conversation,
      directives,
      inputChars,
      newToolUseId: () => newId('toolu'),
    });
    const model =
      typeof requestedModel === 'string' && requestedModel ? requestedModel : 'claude-scripted';
    const messageId = newId('msg');
    record.status = 200;
    record.outcome = plan.stopReason === 'tool_use' ? 'tool_use' : 'text';
    requests.push(record);

    if (!record.stream) {
      const delay = (directives.stallMs ?? 0) + (directives.slowMs ?? 0);
      if (!(await pause(delay, controller.signal))) {
        record.outcome = 'client_closed';
        logRecord(record);
        return;
      }
      const message = messageEnvelope(
        messageId,
        model,
        plan.usage.inputTokens,
        plan.usage.outputTokens,
      );
      message.content = plan.blocks;
      message.stop_reason = plan.stopReason;
      sendJson(response, 200, message, { 'request-id': requestId });
      logRecord(record);
      return;
    }

    const breakStream = directives.broken && !state.brokenUsed;
    if (breakStream) state.brokenUsed = true;
    response.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      'request-id': requestId,
    });
    const end = await streamMessage(response, plan, {
      messageId,
      model,
      slowMs: directives.slowMs,
      stallMs: directives.stallMs,
      breakAfterFirstDelta: breakStream,
      signal: controller.signal,
    });
    if (end !== 'completed') record.outcome = end;
    logRecord(record);
  }

  function handleControl(method: string, response: ServerResponse): void {
    if (method === 'GET') {
      sendJson(response, 200, {
        count: requests.length,
        requests: requests.map(({ headers: _headers, body: _body, ...summary }) => summary),
      });
    } else if (method === 'DELETE') {
      const cleared = requests.length;
      requests.length = 0;
      sendJson(response, 200, { count: 0, cleared });
    } else {
      sendJson(response, 405, anthropicError(405, `${method} ${requestsPath}: use GET or DELETE`), {
        allow: 'GET, DELETE',
      });
    }
  }

  function logRecord(record: RecordedRequest): void {
    if (!log) return;
    const text =
      record.userText === undefined ? '' : ` ${JSON.stringify(record.userText.slice(0, 80))}`;
    log(
      `${record.method} ${record.path}${record.query} ${record.status} ${record.outcome}` +
        `${record.stream ? ' stream' : ''} session=${record.sessionId ?? '-'}${text}`,
    );
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    requests,
    requestCount: () => requests.length,
    clearRequests: () => {
      requests.length = 0;
    },
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        for (const controller of inFlight) controller.abort();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

type CheckedBody =
  | { ok: true; payload: Record<string, unknown> & { messages: unknown[] } }
  | { ok: false; message: string };

/** The checks the real API would fail with 400 and that the scripted model relies on. */
function checkMessagesBody(
  body: string,
  parsed: { ok: true; value: unknown } | { ok: false },
): CheckedBody {
  if (body.trim() === '') return { ok: false, message: 'request body is empty' };
  if (!parsed.ok) return { ok: false, message: 'request body is not valid JSON' };
  const payload = parsed.value;
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) {
    return { ok: false, message: 'request body must be a JSON object' };
  }
  const { messages } = payload as Record<string, unknown>;
  if (!Array.isArray(messages) || messages.length === 0) {
    return { ok: false, message: 'messages: a non-empty array is required' };
  }
  if (!messages.some((message) => (message as { role?: unknown } | null)?.role === 'user')) {
    return { ok: false, message: 'messages: at least one user message is required' };
  }
  return { ok: true, payload: payload as Record<string, unknown> & { messages: unknown[] } };
}

function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: OutgoingHttpHeaders = {},
): void {
  if (response.destroyed) return;
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}

function readBody(
  request: IncomingMessage,
  maxBytes: number,
): Promise<string | 'too_large' | 'aborted'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > maxBytes) {
        tooLarge = true;
        chunks.length = 0;
        // Answer now; the rest of the upload is discarded and the connection closed after.
        resolve('too_large');
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', () => resolve('aborted'));
    request.on('close', () => {
      if (!request.complete) resolve('aborted');
    });
  });
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

function headerValue(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function recordHeaders(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    headers[name] =
      name === 'x-api-key' || name === 'authorization'
        ? '[redacted]'
        : Array.isArray(value)
          ? value.join(', ')
          : value;
  }
  return headers;
}
