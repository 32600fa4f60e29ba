import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { inPool } from '../src/in-pool.js';

describe('inPool', () => {
  it('does every item, never more than `concurrency` at once', async () => {
    let running = 0;
    let peak = 0;
    const done: number[] = [];
    await inPool([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await sleep(2);
      done.push(n);
      running--;
    });
    expect(done.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(peak).toBe(3);
  });

  it('does nothing for no items', async () => {
    await expect(inPool([], 4, async () => Promise.reject(new Error('never')))).resolves.toBeUndefined();
  });

  it('starts nothing new after a failure, lets running items finish, then throws the first error', async () => {
    const started: number[] = [];
    const finished: number[] = [];
    const run = inPool([1, 2, 3, 4, 5, 6], 2, async (n) => {
      started.push(n);
      if (n === 1) throw new Error('redis down');
      await sleep(5);
      finished.push(n);
    });
    await expect(run).rejects.toThrow('redis down');
    expect(started).toEqual([1, 2]);
    expect(finished).toEqual([2]);
  });
});
