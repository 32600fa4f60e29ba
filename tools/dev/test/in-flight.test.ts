import { describe, expect, it } from 'vitest';
import { InFlightLimit } from '../src/kafkasource/in-flight.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('InFlightLimit', () => {
  it('admits up to max at once and the others in arrival order as slots come free', async () => {
    const limit = new InFlightLimit(2);
    const admitted: number[] = [];
    const take = (n: number) => limit.acquire().then(() => admitted.push(n));
    void take(1);
    void take(2);
    void take(3);
    void take(4);
    await tick();
    expect(admitted).toEqual([1, 2]);
    expect([limit.inFlight, limit.waiting]).toEqual([2, 2]);
    limit.release();
    await tick();
    expect(admitted).toEqual([1, 2, 3]);
    expect([limit.inFlight, limit.waiting]).toEqual([2, 1]);
    limit.release();
    limit.release();
    await tick();
    expect(admitted).toEqual([1, 2, 3, 4]);
    expect([limit.inFlight, limit.waiting]).toEqual([1, 0]);
    limit.release();
    expect(limit.inFlight).toBe(0);
  });

  it('admits everyone at once without a max', async () => {
    const limit = new InFlightLimit(undefined);
    await Promise.all(Array.from({ length: 1000 }, () => limit.acquire()));
    expect([limit.inFlight, limit.waiting]).toEqual([1000, 0]);
  });

  it('refuses a max below one', () => {
    expect(() => new InFlightLimit(0)).toThrow(/max/);
    expect(() => new InFlightLimit(1.5)).toThrow(/max/);
  });
});
