export * from './agent/index.js';
export * from './bus/index.js';
export * from './engine/index.js';
export * from './log/index.js';
export * from './store/index.js';
