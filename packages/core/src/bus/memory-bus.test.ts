import { describeBusConformance } from '@agent-sessions/conformance';
import { describe, expect, it } from 'vitest';
import { createMemoryBus } from './memory-bus.js';

describeBusConformance('memory', async () => ({
  bus: createMemoryBus({ onHandlerError: () => {} }),
}));

describe('createMemoryBus', () => {
  it('reports a throwing handler to onHandlerError with its topic', async () => {
    const reported: Array<[unknown, string]> = [];
    const bus = createMemoryBus({
      onHandlerError: (error, topic) => reported.push([error, topic]),
    });
    const failure = new Error('boom');
    await bus.subscribe('t', () => {
      throw failure;
    });
    await bus.publish('t', 1);
    expect(reported).toEqual([[failure, 't']]);
  });
});
