import { join } from 'node:path';
import type { PermissionMode } from '@anthropic-ai/claude-agent-sdk';
import { createMemoryBus } from '../../bus/memory-bus.js';
import { createEventLog, type EventLog } from '../../log/event-log.js';
import { createMemoryStore } from '../../store/memory-store.js';
import type { LogEntry, Store } from '../../store/store.js';
import { createOfflineFixture, type OfflineFixture } from '../../testing/offline-fixture.js';
import { findClaudeProcesses } from '../../testing/process-table.js';
import { createSessionService, type SessionService } from '../session-service.js';

export interface EngineHarnessOptions {
  store?: Store;
  maxLive?: number;
  hibernateAfterMs?: number;
  turnTimeoutMs?: number;
  permissionTimeoutMs?: number;
  dailyBudgetUsd?: number;
  streamPartialMessages?: boolean;
  permissionMode?: PermissionMode;
  allowedTools?: string[];
}

export interface EngineHarness {
  fixture: OfflineFixture;
  store: Store;
  eventLog: EventLog;
  service: SessionService;
  workspaceRoot: string;
  /** Polls the stored log until `predicate` holds for some entry; returns the whole log. */
  waitForLog(
    sessionId: string,
    predicate: (entries: LogEntry[]) => boolean,
    timeoutMs?: number,
  ): Promise<LogEntry[]>;
  /** The `turn.ended` entries of a session, in order. */
  turnsEnded(sessionId: string): Promise<LogEntry[]>;
  /** Assistant text of a turn (the assistant entries between message.started and turn.ended). */
  replyTo(sessionId: string, messageId: string): Promise<string>;
  /** Shuts the service down; throws if any CLI process is still alive once it has. */
  cleanup(): Promise<void>;
}

/** Joins the text blocks of assistant entries. */
export function assistantText(entries: LogEntry[]): string {
  const parts: string[] = [];
  for (const entry of entries) {
    if (entry.type !== 'assistant') continue;
    const message = entry.message as { content?: Array<{ type: string; text?: string }> };
    for (const block of message.content ?? []) {
      if (block.type === 'text' && block.text) parts.push(block.text);
    }
  }
  return parts.join('');
}

/** The real SDK + CLI against the scripted model, with an in-memory (or given) store. */
export async function createEngineHarness(
  options: EngineHarnessOptions = {},
): Promise<EngineHarness> {
  const fixture = await createOfflineFixture();
  const store = options.store ?? createMemoryStore();
  const bus = createMemoryBus();
  const eventLog = createEventLog({ store, bus });
  const workspaceRoot = join(fixture.root, 'sessions');
  const service = createSessionService({
    store,
    bus,
    eventLog,
    workspaceRoot,
    agent: {
      env: fixture.env,
      permissionMode: options.permissionMode ?? 'default',
      ...(options.allowedTools ? { allowedTools: options.allowedTools } : {}),
    },
    maxLive: options.maxLive ?? 4,
    hibernateAfterMs: options.hibernateAfterMs ?? 600_000,
    ...(options.turnTimeoutMs !== undefined ? { turnTimeoutMs: options.turnTimeoutMs } : {}),
    ...(options.permissionTimeoutMs !== undefined
      ? { permissionTimeoutMs: options.permissionTimeoutMs }
      : {}),
    ...(options.dailyBudgetUsd !== undefined ? { dailyBudgetUsd: options.dailyBudgetUsd } : {}),
    ...(options.streamPartialMessages !== undefined
      ? { streamPartialMessages: options.streamPartialMessages }
      : {}),
  });

  async function waitForLog(
    sessionId: string,
    predicate: (entries: LogEntry[]) => boolean,
    timeoutMs = 30_000,
  ): Promise<LogEntry[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const entries = await store.readLog(sessionId);
      if (predicate(entries)) return entries;
      if (Date.now() > deadline) {
        const types = entries.map((entry) => `${entry.seq}:${entry.type}`).join(' ');
        throw new Error(`timed out waiting for the log of ${sessionId}; it holds: ${types}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  return {
    fixture,
    store,
    eventLog,
    service,
    workspaceRoot,
    waitForLog,
    async turnsEnded(sessionId) {
      return (await store.readLog(sessionId)).filter((entry) => entry.type === 'turn.ended');
    },
    async replyTo(sessionId, messageId) {
      const entries = await store.readLog(sessionId);
      const start = entries.findIndex(
        (entry) => entry.type === 'message.started' && entry.messageId === messageId,
      );
      const end = entries.findIndex(
        (entry) => entry.type === 'turn.ended' && entry.messageId === messageId,
      );
      if (start < 0 || end < 0) throw new Error(`turn of ${messageId} not found`);
      return assistantText(entries.slice(start, end));
    },
    async cleanup() {
      await service.shutdown();
      // No waiting here: shutdown() resolving means every CLI process it started has exited.
      const left = findClaudeProcesses();
      for (const entry of left) process.kill(entry.pid, 'SIGKILL');
      await fixture.cleanup();
      if (left.length > 0) {
        const listed = left.map((entry) => `${entry.pid} ${entry.command}`).join('\n');
        throw new Error(`CLI processes left after shutdown:\n${listed}`);
      }
    },
  };
}
