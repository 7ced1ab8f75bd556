import { randomUUID } from 'node:crypto';
import type { SessionStore } from '@anthropic-ai/claude-agent-sdk';
import type { NewLogEntry, SessionPatch, Store, StoreMutation } from '../store/store.js';
import { type EngineLogger, silentLogger } from './engine-logger.js';
import type { EventLogAppender } from './runner.js';

export interface RecoveryOptions {
  store: Store;
  eventLog: EventLogAppender;
  /** Used to tell whether a turn cut short by the crash left an SDK transcript behind. */
  sessionStore?: SessionStore;
  now?: () => number;
  logger?: EngineLogger;
}

export interface RecoveryReport {
  /** Sessions looked at (every session not `closed`). */
  sessions: number;
  /** Messages whose turn was running when the process died (ended as `interrupted`). */
  interruptedMessageIds: string[];
  /** Permission requests that were pending (resolved as `deny`). */
  deniedRequestIds: string[];
  /** Sessions with messages still queued, oldest session first: the caller wakes them. */
  sessionsWithQueue: string[];
}

/**
 * Brings the Store back to a consistent state after the process died: a turn that was running
 * gets `turn.ended` with outcome `interrupted` and `reason: 'process_restart'` and is NOT run
 * again (its tools may already have had effects); its `durationMs` runs from `message.started`
 * to the last entry committed before the crash (never the downtime until the restart); pending permission requests are denied; a
 * `running`/`waiting_permission` session goes back to `idle`. Queued messages are left queued
 * for the runners to pick up in order.
 *
 * @example
 * ```ts
 * const report = await recoverSessions({ store, eventLog });
 * for (const sessionId of report.sessionsWithQueue) await pool.acquire(sessionId, { wake: true });
 * ```
 */
export async function recoverSessions(options: RecoveryOptions): Promise<RecoveryReport> {
  const { store, eventLog } = options;
  const now = options.now ?? Date.now;
  const logger = options.logger ?? silentLogger;
  const report: RecoveryReport = {
    sessions: 0,
    interruptedMessageIds: [],
    deniedRequestIds: [],
    sessionsWithQueue: [],
  };

  for (const session of await store.listOpenSessions()) {
    report.sessions++;
    const entries: NewLogEntry[] = [];
    const mutations: StoreMutation[] = [];
    const at = now();

    for (const permission of await store.listPendingPermissions(session.id)) {
      entries.push({
        type: 'permission.resolved',
        requestId: permission.requestId,
        behavior: 'deny',
        reason: 'process_restart',
      });
      mutations.push({
        kind: 'permission.resolve',
        requestId: permission.requestId,
        behavior: 'deny',
        message: 'The service restarted before the request was answered',
        at,
      });
      report.deniedRequestIds.push(permission.requestId);
    }

    const started = await store.listMessages(session.id, 'started');
    for (const message of started) {
      // The process died at some unknown moment after its last commit; the downtime until
      // this restart is not part of the turn. The session row's updatedAt is the time of the
      // last committed entry, so the duration runs from message.started to that.
      const startedAt = message.startedAt ?? at;
      const lastActivity = Math.min(at, Math.max(startedAt, session.updatedAt));
      const durationMs = Math.max(0, lastActivity - startedAt);
      entries.push({
        type: 'turn.ended',
        messageId: message.id,
        outcome: 'interrupted',
        reason: 'process_restart',
        costUsd: 0,
        durationMs,
      });
      mutations.push(
        {
          kind: 'inbox.update',
          messageId: message.id,
          status: 'completed',
          at,
          reason: 'process_restart',
        },
        {
          kind: 'turn.record',
          turn: {
            messageId: message.id,
            outcome: 'interrupted',
            costUsd: 0,
            durationMs,
            usage: {
              inputTokens: 0,
              outputTokens: 0,
              cacheReadInputTokens: 0,
              cacheCreationInputTokens: 0,
            },
            endedAt: at,
          },
        },
      );
      report.interruptedMessageIds.push(message.id);
    }

    const patch: SessionPatch = {};
    if (session.status === 'running' || session.status === 'waiting_permission') {
      entries.push({ type: 'session.status', status: 'idle' });
      patch.status = 'idle';
    }
    // A first turn cut short has used its SDK session id (the CLI refuses to start a second
    // conversation under it: "Session ID ... is already in use"). Resume it when its transcript
    // reached the Store; otherwise switch to a fresh SDK conversation.
    if (started.length > 0 && !session.sdkStarted) {
      const sdkSessionId = session.sdkSessionId ?? session.id;
      let hasTranscript = false;
      try {
        const transcript = await options.sessionStore?.load({
          projectKey: '',
          sessionId: sdkSessionId,
        });
        hasTranscript = (transcript?.length ?? 0) > 0;
      } catch (error) {
        logger.warn?.('recovery: could not read the transcript', {
          sessionId: session.id,
          error: String(error),
        });
      }
      if (hasTranscript) patch.sdkStarted = true;
      else patch.sdkSessionId = randomUUID();
    }
    if (Object.keys(patch).length > 0) mutations.push({ kind: 'session.update', patch });
    if (entries.length > 0 || mutations.length > 0) {
      await eventLog.append(session.id, { entries, mutations });
    }
    if (started.length > 0 || entries.length > 0) {
      logger.info?.('recovery: session repaired', {
        sessionId: session.id,
        interrupted: started.length,
      });
    }
    const queued = await store.listMessages(session.id, 'queued');
    if (queued.length > 0) report.sessionsWithQueue.push(session.id);
  }
  return report;
}
