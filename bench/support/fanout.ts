/**
 * Fan-out measurement shared by relay and load: agent-like entries of about 500 bytes tagged
 * with `benchIndex` (order check) and `sentAt` (latency, same process clock), receivers that
 * count them, and drivers that publish as fast as the slowest receiver allows or at a pace.
 */
import { now, sleep, withTimeout } from '../harness.js';
import type { BenchClient, Frame } from './ws-client.js';

const FILLER = 'x'.repeat(380);

/** An entry shaped like an SDK assistant message, about 500 bytes as JSON. */
export function benchEntry(index: number, stream = 0): { type: string; [field: string]: unknown } {
  return {
    type: 'assistant',
    benchIndex: index,
    benchStream: stream,
    sentAt: now(),
    message: { role: 'assistant', content: [{ type: 'text', text: FILLER }] },
    parent_tool_use_id: null,
  };
}

export interface Receiver {
  received: number;
  lastIndex: number;
  latencies: number[];
  errors: string[];
}

/** Progress notifications: drivers wait on this instead of polling. */
export interface Progress {
  notify(): void;
  next(): Promise<void>;
}

export function createProgress(): Progress {
  let waiting: (() => void) | undefined;
  return {
    notify() {
      const resolve = waiting;
      waiting = undefined;
      resolve?.();
    },
    next() {
      return new Promise((resolve) => {
        waiting = resolve;
      });
    },
  };
}

/** Counts bench frames on `client`, checking they arrive in order, each once. */
export function attachReceiver(
  client: BenchClient,
  progress: Progress,
  recordLatency: boolean,
): Receiver {
  const receiver: Receiver = { received: 0, lastIndex: -1, latencies: [], errors: client.errors };
  client.onFrame = (frame: Frame) => {
    const index = frame.benchIndex;
    if (typeof index !== 'number') return;
    if (index !== receiver.lastIndex + 1) {
      receiver.errors.push(`expected entry ${receiver.lastIndex + 1}, got ${index}`);
    }
    receiver.lastIndex = index;
    receiver.received += 1;
    if (recordLatency && typeof frame.sentAt === 'number')
      receiver.latencies.push(now() - frame.sentAt);
    progress.notify();
  };
  return receiver;
}

/** Resets counters between phases (the index sequence restarts at 0). */
export function resetReceivers(receivers: Receiver[]): void {
  for (const receiver of receivers) {
    receiver.received = 0;
    receiver.lastIndex = -1;
    receiver.latencies.length = 0;
  }
}

function minReceived(receivers: Receiver[]): number {
  let minimum = Number.POSITIVE_INFINITY;
  for (const receiver of receivers) minimum = Math.min(minimum, receiver.received);
  return minimum;
}

/** Waits until every receiver has `total` entries. */
async function drain(
  receivers: Receiver[],
  progress: Progress,
  total: number,
  timeoutMs: number,
): Promise<void> {
  const done = (async () => {
    while (minReceived(receivers) < total) await Promise.race([progress.next(), sleep(50)]);
  })();
  await withTimeout(done, timeoutMs, 'delivering every entry');
}

/**
 * Publishes `total` entries as fast as the slowest receiver allows (at most `window` entries
 * ahead of it); returns deliveries per second.
 */
export async function driveMaxRate(options: {
  publish: (entries: ReturnType<typeof benchEntry>[]) => void;
  receivers: Receiver[];
  progress: Progress;
  total: number;
  window?: number;
  batch?: number;
  timeoutMs: number;
}): Promise<{ deliveriesPerSecond: number; elapsedMs: number }> {
  const { receivers, progress, total } = options;
  const window = options.window ?? 500;
  const batch = options.batch ?? 50;
  const started = now();
  let sent = 0;
  const deadline = started + options.timeoutMs;
  while (sent < total) {
    if (now() > deadline) throw new Error('max-rate phase ran out of time');
    const room = window - (sent - minReceived(receivers));
    if (room <= 0) {
      await Promise.race([progress.next(), sleep(50)]);
      continue;
    }
    const count = Math.min(batch, room, total - sent);
    const entries = [];
    for (let index = 0; index < count; index += 1) entries.push(benchEntry(sent + index));
    options.publish(entries);
    sent += count;
    await new Promise((resolve) => setImmediate(resolve));
  }
  await drain(receivers, progress, total, Math.max(1_000, deadline - now()));
  const elapsedMs = now() - started;
  return { deliveriesPerSecond: (total * receivers.length) / (elapsedMs / 1000), elapsedMs };
}

/** Publishes one entry every `1000 / rate` ms for `durationMs`; returns every delivery latency. */
export async function drivePaced(options: {
  publish: (entries: ReturnType<typeof benchEntry>[]) => void;
  receivers: Receiver[];
  progress: Progress;
  rate: number;
  durationMs: number;
  timeoutMs: number;
}): Promise<number[]> {
  const { receivers, progress } = options;
  const interval = 1000 / options.rate;
  const total = Math.max(1, Math.floor(options.durationMs / interval));
  const started = now();
  for (let index = 0; index < total; index += 1) {
    const due = started + index * interval;
    const wait = due - now();
    if (wait > 0) await sleep(wait);
    options.publish([benchEntry(index)]);
  }
  await drain(receivers, progress, total, options.timeoutMs);
  return receivers.flatMap((receiver) => receiver.latencies);
}
