import { describe, expect, it } from 'vitest';
import { RedisClock } from '../src/clock.js';

describe('RedisClock', () => {
  it('knows nothing before the first sample', () => {
    const clock = new RedisClock();
    expect(clock.toRedis(1000)).toBeUndefined();
    expect(clock.errorMs(1000)).toBe(Number.POSITIVE_INFINITY);
  });

  it('maps local to Redis time through the midpoint of the round trip, error half of it', () => {
    const clock = new RedisClock();
    // Sent at 100, answered at 110 (local); Redis said 5_000_105.
    clock.observe(5_000_105, 100, 110);
    expect(clock.toRedis(200)).toBe(5_000_200);
    expect(clock.errorMs(110)).toBe(5);
  });

  it('keeps the tighter sample, and lets the error grow with its age', () => {
    const clock = new RedisClock();
    clock.observe(5_000_002, 0, 4); // error 2
    clock.observe(5_000_900, 800, 1000); // error 100: looser, ignored
    expect(clock.toRedis(0)).toBe(5_000_000);
    expect(clock.errorMs(1004)).toBeCloseTo(2 + RedisClock.DRIFT_PER_SECOND_MS, 5);
    // Once the old sample has aged past it, a looser but fresh one wins.
    clock.observe(5_200_050, 200_000, 200_020); // error 10 with another offset; the old one is now at 202
    expect(clock.toRedis(200_010)).toBe(5_200_050);
  });
});
