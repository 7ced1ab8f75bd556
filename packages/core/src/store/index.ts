export * from './log-entry-json.js';
export * from './memory-store.js';
export type * from './store.js';
export * from './store-error.js';
export * from './store-support.js';
