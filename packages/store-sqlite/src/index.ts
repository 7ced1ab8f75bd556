export * from './migrate.js';
export * from './migrations.js';
export * from './sqlite-store.js';
