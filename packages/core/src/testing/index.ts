export type { FixtureModel, OfflineFixture, OfflineFixtureOptions } from './offline-fixture.js';
export { createOfflineFixture } from './offline-fixture.js';
export type { ProcessEntry } from './process-table.js';
export {
  findClaudeProcesses,
  isClaudeCommand,
  listDescendantProcesses,
  listProcesses,
  waitForNoClaudeProcesses,
} from './process-table.js';
