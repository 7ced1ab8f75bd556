import { describe, expect, it } from 'vitest';
import { createServerMetrics } from './metrics.js';

describe('createServerMetrics', () => {
  it('counts sessions by status at most once per max age, one store read in flight at a time', async () => {
    let reads = 0;
    let idle = 1;
    const metrics = createServerMetrics({
      defaultMetrics: false,
      sessionsByStatusMaxAgeMs: 200,
      sessionsByStatus: async () => {
        reads++;
        await new Promise((resolve) => setTimeout(resolve, 20));
        return { idle, running: 2 };
      },
    });
    const scrapes = await Promise.all([1, 2, 3].map(() => metrics.registry.metrics()));
    expect(reads).toBe(1);
    for (const text of scrapes) {
      expect(text).toMatch(/agent_sessions_sessions\{status="idle"\} 1/);
      expect(text).toMatch(/agent_sessions_sessions\{status="running"\} 2/);
      expect(text).toMatch(/agent_sessions_sessions\{status="hibernated"\} 0/);
    }
    idle = 5;
    expect(await metrics.registry.metrics()).toMatch(/agent_sessions_sessions\{status="idle"\} 1/);
    expect(reads).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await metrics.registry.metrics()).toMatch(/agent_sessions_sessions\{status="idle"\} 5/);
    expect(reads).toBe(2);
  });
});
