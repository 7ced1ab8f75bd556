/**
 * React bindings for agent-sessions: `useAgentSession` (the live conversation with reconnects,
 * replay, queued messages and permission prompts) and the seed's `useAgentStream` shape.
 *
 * @example
 * ```tsx
 * import { useAgentSession } from '@agent-sessions/react';
 * const { turns, send } = useAgentSession({ client, sessionId });
 * ```
 *
 * @packageDocumentation
 */
export * from './use-agent-session.js';
export * from './use-agent-stream.js';
