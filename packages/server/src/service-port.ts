import type { LogEntry, MessagePolicy, Page, SessionRecord } from '@agent-sessions/core';

/**
 * What the server needs from the session engine (`createSessionService` in
 * `@agent-sessions/core`). Declared here, narrowly, so the transport layer depends on a
 * contract rather than on the engine's internals; the engine satisfies it structurally.
 */
export interface SessionServicePort {
  start(): Promise<unknown>;
  createSession(
    tenantId: string,
    input: { title?: string | null; options?: Record<string, unknown> },
  ): Promise<SessionRecord>;
  getSession(id: string): Promise<SessionRecord | null>;
  listSessions(
    tenantId: string,
    options: { cursor?: string | null; limit?: number },
  ): Promise<Page<SessionRecord>>;
  deleteSession(id: string): Promise<unknown>;
  sendMessage(
    sessionId: string,
    input: { content: unknown; policy?: MessagePolicy; clientMessageId?: string },
  ): Promise<{ messageId: string; seq: number; duplicate?: boolean }>;
  interrupt(sessionId: string): Promise<unknown>;
  reset(sessionId: string): Promise<unknown>;
  answerPermission(
    sessionId: string,
    requestId: string,
    answer: { behavior: 'allow' | 'deny'; message?: string },
  ): Promise<unknown>;
  warm(sessionId: string): Promise<unknown>;
  hibernate(sessionId: string): Promise<unknown>;
  /** Replay of `seq > after`, then live entries, without gap or duplicate. */
  subscribe(
    sessionId: string,
    options: { after?: number; signal?: AbortSignal },
  ): AsyncIterable<LogEntry>;
  liveRunnerCount(): number;
  shutdown(): Promise<void>;
}
