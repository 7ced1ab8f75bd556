export * from './event-log.js';
export * from './transcript-session-store.js';
