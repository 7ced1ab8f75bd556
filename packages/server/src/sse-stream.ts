import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LogEntry } from '@agent-sessions/core';
import { createBatchedWriter } from './batched-writer.js';
import { type LiveStreamSource, startLiveStreamRelay } from './live-stream-relay.js';
import type { SessionServicePort } from './service-port.js';
import { pumpSubscription } from './subscription-pump.js';

/**
 * One SSE event for a log entry: `id: <seq>` (so `Last-Event-ID` resumes), `event: <type>`,
 * `data: <entry as JSON>`. JSON.stringify never emits a raw newline, so one data line is safe.
 *
 * @example
 * ```ts
 * formatSseEvent({ seq: 3, type: 'result' }); // 'id: 3\nevent: result\ndata: {"seq":3,"type":"result"}\n\n'
 * ```
 */
export function formatSseEvent(entry: LogEntry | { type: string; seq?: number }): string {
  const id = typeof entry.seq === 'number' ? `id: ${entry.seq}\n` : '';
  const type = String(entry.type).replace(/[\r\n]/g, '');
  return `${id}event: ${type}\ndata: ${JSON.stringify(entry)}\n\n`;
}

export interface SseStreamOptions {
  service: SessionServicePort;
  sessionId: string;
  after: number;
  request: IncomingMessage;
  response: ServerResponse;
  maxBufferedBytes: number;
  stallTimeoutMs: number;
  heartbeatMs?: number;
  onSlowConsumer: () => void;
  onClose: () => void;
  /** Live token-level `stream_event`s, sent as `event: stream_event` with no `id:` (null: none). */
  streams?: LiveStreamSource | null;
  onStreamDropped?: (count: number) => void;
}

/**
 * Streams a session's log as SSE on a raw Node response (headers, replay, live, heartbeats),
 * with the same corked, bounded writer as WebSocket. Returns a function that ends the stream.
 *
 * @example
 * ```ts
 * const end = startSseStream({ service, sessionId, after, request, response, ... });
 * ```
 */
export function startSseStream(options: SseStreamOptions): () => void {
  const { response } = options;
  const controller = new AbortController();
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  response.write(': stream open\n\n');
  const writer = createBatchedWriter(
    {
      write: (frame) => response.write(frame),
      bufferedBytes: () => response.writableLength,
      socket: () => response.socket,
    },
    {
      maxBufferedBytes: options.maxBufferedBytes,
      onOverflow: () => cutSlow(),
    },
  );
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    controller.abort();
    clearInterval(heartbeat);
    writer.flush();
    writer.stop();
    response.end();
    options.onClose();
  };
  const cutSlow = () => {
    if (ended) return;
    options.onSlowConsumer();
    ended = true;
    controller.abort();
    clearInterval(heartbeat);
    writer.stop();
    response.destroy();
    options.onClose();
  };
  const heartbeat = setInterval(() => writer.send(': ping\n\n'), options.heartbeatMs ?? 15_000);
  heartbeat.unref();
  response.on('close', () => {
    if (!ended) {
      ended = true;
      controller.abort();
      clearInterval(heartbeat);
      writer.stop();
      options.onClose();
    }
  });
  const relay = options.streams
    ? startLiveStreamRelay({
        source: options.streams,
        sessionId: options.sessionId,
        writer,
        after: options.after,
        encode: (message) => formatSseEvent(message as { type: string }),
        highWaterBytes: options.maxBufferedBytes / 2,
        signal: controller.signal,
        ...(options.onStreamDropped ? { onDropped: options.onStreamDropped } : {}),
      })
    : null;
  void pumpSubscription({
    service: options.service,
    sessionId: options.sessionId,
    after: options.after,
    writer,
    signal: controller.signal,
    encode: (entry) => {
      relay?.delivered(entry.seq);
      return formatSseEvent(entry);
    },
    highWaterBytes: options.maxBufferedBytes / 2,
    stallTimeoutMs: options.stallTimeoutMs,
    onStall: cutSlow,
  }).catch(() => end());
  return end;
}
