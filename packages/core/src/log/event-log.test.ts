import { describeEventLogConformance } from '@agent-sessions/conformance';
import { createMemoryBus } from '../bus/memory-bus.js';
import { createMemoryStore } from '../store/memory-store.js';

describeEventLogConformance('memory store + memory bus', async () => ({
  store: createMemoryStore(),
  bus: createMemoryBus(),
}));
