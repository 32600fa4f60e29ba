import { describe, expect, it } from 'vitest';
import { Batcher } from '../src/batcher.js';

describe('Batcher', () => {
  it('flushes concurrent submissions together and answers each with its own result', async () => {
    const batches: number[][] = [];
    const batcher = new Batcher<number, number>({
      maxItems: 100,
      maxWaitMs: 5,
      flush: async (items) => {
        batches.push([...items]);
        return items.map((n) => n * 2);
      },
    });
    const results = await Promise.all([1, 2, 3].map((n) => batcher.submit(n)));
    expect(results).toEqual([2, 4, 6]);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('flushes at once when the batch is full', async () => {
    const sizes: number[] = [];
    const batcher = new Batcher<number, number>({
      maxItems: 2,
      maxWaitMs: 10_000,
      flush: async (items) => {
        sizes.push(items.length);
        return items;
      },
    });
    await Promise.all([1, 2, 3, 4].map((n) => batcher.submit(n)));
    expect(sizes).toEqual([2, 2]);
  });

  it('rejects every submitter of a failed batch, and later batches still run', async () => {
    let fail = true;
    const batcher = new Batcher<number, number>({
      maxItems: 10,
      maxWaitMs: 1,
      flush: async (items) => {
        if (fail) throw new Error('database down');
        return items;
      },
    });
    const failed = await Promise.allSettled([batcher.submit(1), batcher.submit(2)]);
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    await expect(batcher.submit(3)).resolves.toBe(3);
  });
});
