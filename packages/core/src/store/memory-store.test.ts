import { describeStoreConformance } from '@agent-sessions/conformance';
import { createMemoryStore } from './memory-store.js';

describeStoreConformance('memory', async () => ({ store: createMemoryStore() }));
