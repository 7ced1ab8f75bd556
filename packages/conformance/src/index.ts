export * from './bus-conformance.js';
export * from './event-log-conformance.js';
export * from './store-conformance.js';
export * from './wait-for.js';
