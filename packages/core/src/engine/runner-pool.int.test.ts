import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { LogEntry } from '../store/store.js';
import { findClaudeProcesses } from '../testing/process-table.js';
import { createEngineHarness, type EngineHarness } from './test-support/engine-harness.js';

let harness: EngineHarness | null = null;

afterEach(async () => {
  await harness?.cleanup();
  harness = null;
});

function turnsEnded(count: number) {
  return (entries: LogEntry[]) =>
    entries.filter((entry) => entry.type === 'turn.ended').length >= count;
}

function rssMegabytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+)\s+kB/.exec(status);
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

/** Time from sending to the first assistant entry of that message's turn. */
async function firstAssistantMs(
  h: EngineHarness,
  sessionId: string,
  content: string,
): Promise<number> {
  const started = performance.now();
  const sent = await h.service.sendMessage(sessionId, { content });
  await h.waitForLog(
    sessionId,
    (entries) => {
      const index = entries.findIndex(
        (entry) => entry.type === 'message.started' && entry.messageId === sent.messageId,
      );
      return index >= 0 && entries.slice(index).some((entry) => entry.type === 'assistant');
    },
    30_000,
  );
  const elapsed = performance.now() - started;
  await h.waitForLog(sessionId, (entries) =>
    entries.some((entry) => entry.type === 'turn.ended' && entry.messageId === sent.messageId),
  );
  return elapsed;
}

describe('live runners as a bounded cache', () => {
  it('keeps at most maxLive CLI processes while 4 sessions all answer', async () => {
    harness = await createEngineHarness({ maxLive: 2 });
    const { service } = harness;
    let peak = 0;
    let peakSample: string[] = [];
    const sampler = setInterval(() => {
      // A CLI briefly forks (the child carries the same command line until it execs), so count
      // CLI instances: CLI processes whose parent is not itself a CLI process.
      const all = findClaudeProcesses();
      const cliPids = new Set(all.map((entry) => entry.pid));
      const found = all.filter((entry) => !cliPids.has(entry.ppid));
      if (found.length > peak) {
        peakSample = found.map((entry) => `${entry.pid} ${entry.ppid} ${entry.command}`);
      }
      peak = Math.max(peak, found.length);
    }, 50);
    try {
      const sessions = await Promise.all([1, 2, 3, 4].map(() => service.createSession('tenant-a')));
      const sent = await Promise.all(
        sessions.map((session, index) =>
          service.sendMessage(session.id, { content: `[[slow:500]] hello ${index + 1}` }),
        ),
      );
      for (const [index, session] of sessions.entries()) {
        await harness.waitForLog(session.id, turnsEnded(1), 60_000);
        expect(await harness.replyTo(session.id, sent[index]?.messageId as string)).toBe(
          `Echo: hello ${index + 1}`,
        );
      }
      // A second round: every session is evicted and resumed in turn.
      const again = await Promise.all(
        sessions.map((session) => service.sendMessage(session.id, { content: '[[recall]]' })),
      );
      for (const [index, session] of sessions.entries()) {
        await harness.waitForLog(session.id, turnsEnded(2), 60_000);
        expect(await harness.replyTo(session.id, again[index]?.messageId as string)).toBe(
          `[[slow:500]] hello ${index + 1}`,
        );
      }
      expect(service.liveRunnerCount()).toBeLessThanOrEqual(2);
    } finally {
      clearInterval(sampler);
    }
    console.log(`runner cap: peak of ${peak} CLI instances with maxLive 2`);
    expect(peak).toBeGreaterThan(0);
    expect(peak, peakSample.join('\n')).toBeLessThanOrEqual(2);
  });

  it('pre-warms a session with startup() so its first message skips the spawn', async () => {
    harness = await createEngineHarness({ maxLive: 2 });
    const { service, store } = harness;
    const cold = await service.createSession('tenant-a');
    const coldMs = await firstAssistantMs(harness, cold.id, 'cold start');

    const warmed = await service.createSession('tenant-a');
    expect(await service.warm(warmed.id)).toBe(true);
    const warmPids = findClaudeProcesses().filter((entry) => entry.command.includes(warmed.id));
    expect(warmPids).toHaveLength(1);
    const warmFirstMs = await firstAssistantMs(harness, warmed.id, 'warm start');
    // The process that answered is the pre-warmed one.
    expect(
      findClaudeProcesses()
        .filter((entry) => entry.command.includes(warmed.id))
        .map((entry) => entry.pid),
    ).toEqual(warmPids.map((entry) => entry.pid));
    expect(
      await harness.replyTo(
        warmed.id,
        (await store.listMessages(warmed.id, 'completed'))[0]?.id as string,
      ),
    ).toBe('Echo: warm start');

    // Turn 2 in the warm process vs. a resume in a new process.
    const warmTurnMs: number[] = [];
    const resumeTurnMs: number[] = [];
    for (let round = 0; round < 3; round++) {
      warmTurnMs.push(await firstAssistantMs(harness, warmed.id, `warm turn ${round}`));
      await service.hibernate(warmed.id);
      resumeTurnMs.push(await firstAssistantMs(harness, warmed.id, `resume turn ${round}`));
    }
    const pid = findClaudeProcesses().find((entry) => entry.command.includes(warmed.id))?.pid;
    const rss = pid ? rssMegabytes(pid) : Number.NaN;
    const median = (values: number[]) =>
      [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
    console.log(
      `runner figures: cold first message ${coldMs.toFixed(0)} ms, pre-warmed first message ${warmFirstMs.toFixed(0)} ms, ` +
        `warm turn (median of 3) ${median(warmTurnMs).toFixed(0)} ms, new-process resume turn ${median(resumeTurnMs).toFixed(0)} ms, ` +
        `live CLI RSS ${rss.toFixed(0)} MB`,
    );
    expect(median(warmTurnMs)).toBeLessThan(median(resumeTurnMs));
    expect(rss).toBeGreaterThan(10);
  });
});
