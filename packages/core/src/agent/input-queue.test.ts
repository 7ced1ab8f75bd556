import { describe, expect, it } from 'vitest';
import { createInputQueue } from './input-queue.js';

describe('createInputQueue', () => {
  it('delivers pushed items to a waiting reader in order and ends after end()', async () => {
    const queue = createInputQueue<number>();
    const read = (async () => {
      const seen: number[] = [];
      for await (const item of queue) seen.push(item);
      return seen;
    })();
    queue.push(1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    queue.push(2);
    queue.push(3);
    queue.end();
    queue.push(4);
    expect(await read).toEqual([1, 2, 3]);
    expect(queue.ended).toBe(true);
  });
});
