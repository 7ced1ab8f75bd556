/**
 * The agent-sessions wire contract: error codes, the error class, limits, and zod schemas with
 * their inferred types for WebSocket frames, log entries, the session object and HTTP bodies.
 * Depends only on zod; runs in browsers and on any JavaScript runtime.
 *
 * @example
 * ```ts
 * import { parseClientFrame, serverFrameSchema, type ClientFrame } from '@agent-sessions/protocol';
 * ```
 *
 * @packageDocumentation
 */
export * from './agent-sessions-error.js';
export * from './client-frames.js';
export * from './content.js';
export * from './describe-validation-error.js';
export * from './error-codes.js';
export * from './http.js';
export * from './limits.js';
export * from './log-entries.js';
export * from './parse-client-frame.js';
export * from './server-frames.js';
export * from './session.js';
