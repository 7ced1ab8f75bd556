import type { LogEntry } from '@agent-sessions/core';
import type { ServerMetrics } from './metrics.js';

/**
 * Turns log entries into metrics: queue depth from `message.queued`/`started`/`cancelled`,
 * turn duration and cost from `turn.ended`, tokens from `result`, time to first token from
 * `message.started` to the turn's first live text delta (a `stream_event`, fed in as an entry
 * without seq), or to its first `assistant` message when tokens are not streamed.
 *
 * @example
 * ```ts
 * const observe = createTurnObserver(metrics);
 * observe(sessionId, entries);
 * ```
 */
export function createTurnObserver(
  metrics: ServerMetrics,
): (sessionId: string, entries: LogEntry[]) => void {
  const turnStarts = new Map<string, number>();
  return (sessionId, entries) => {
    for (const entry of entries) {
      switch (entry.type) {
        case 'message.queued':
          metrics.queueDepth.inc();
          break;
        case 'message.cancelled':
          metrics.queueDepth.dec();
          break;
        case 'message.started':
          metrics.queueDepth.dec();
          turnStarts.set(sessionId, Date.now());
          break;
        case 'stream_event': {
          const event = entry.event as { type?: unknown } | undefined;
          if (event?.type !== 'content_block_delta') break;
          const started = turnStarts.get(sessionId);
          if (started !== undefined) {
            metrics.firstToken.observe((Date.now() - started) / 1000);
            turnStarts.delete(sessionId);
          }
          break;
        }
        case 'assistant': {
          const started = turnStarts.get(sessionId);
          if (started !== undefined) {
            metrics.firstToken.observe((Date.now() - started) / 1000);
            turnStarts.delete(sessionId);
          }
          break;
        }
        case 'turn.ended': {
          turnStarts.delete(sessionId);
          const outcome = typeof entry.outcome === 'string' ? entry.outcome : 'unknown';
          if (typeof entry.durationMs === 'number') {
            metrics.turnDuration.observe({ outcome }, entry.durationMs / 1000);
          }
          if (typeof entry.costUsd === 'number' && entry.costUsd > 0)
            metrics.costUsd.inc(entry.costUsd);
          break;
        }
        case 'result': {
          const usage = entry.usage as Record<string, unknown> | undefined;
          if (!usage) break;
          for (const [kind, field] of [
            ['input', 'input_tokens'],
            ['output', 'output_tokens'],
            ['cache_read', 'cache_read_input_tokens'],
            ['cache_creation', 'cache_creation_input_tokens'],
          ] as const) {
            const value = usage[field];
            if (typeof value === 'number' && value > 0) metrics.tokens.inc({ kind }, value);
          }
          break;
        }
      }
    }
  };
}
