/**
 * TypeScript client for agent-sessions: typed REST calls and a resuming WebSocket connection
 * (exactly-once delivery by seq, reconnect with backoff, safe resends), plus a pure helper that
 * assembles log entries into a conversation view. Runs in browsers and on Node 20+.
 *
 * @example
 * ```ts
 * import { createClient, assembleConversation } from '@agent-sessions/client';
 * const client = createClient({ url: 'http://127.0.0.1:3000' });
 * ```
 *
 * @packageDocumentation
 */
export * from './assemble-conversation.js';
export * from './backoff.js';
export * from './create-client.js';
export * from './seq-tracker.js';
export * from './session-connection.js';
