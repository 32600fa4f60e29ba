import { describe, expect, it } from 'vitest';
import { bucketDecision, type TokenBucket } from '../src/index.js';

/** Asks `bucket` at each time in `times` (ms); returns the times it admitted. */
function run(bucket: TokenBucket, times: readonly number[]): number[] {
  let tat: number | undefined;
  const admitted: number[] = [];
  for (const now of times) {
    const d = bucketDecision(tat, now, bucket);
    if (d.waitMs === 0) {
      tat = d.tat;
      admitted.push(now);
    }
  }
  return admitted;
}

describe('token bucket (GCRA) decisions', () => {
  it('admits a full burst at once, then one token per interval', () => {
    const bucket = { ratePerSecond: 20, burst: 10 }; // one token every 50 ms
    const start = 1_700_000_000_000;
    // 30 requests at once, then one every ms for 1 s.
    const times = [...Array<number>(30).fill(start), ...Array.from({ length: 1000 }, (_, i) => start + i + 1)];
    const admitted = run(bucket, times).map((t) => t - start);
    expect(admitted.slice(0, 10)).toEqual(Array(10).fill(0));
    expect(admitted.slice(10, 13)).toEqual([50, 100, 150]);
    expect(admitted).toHaveLength(10 + 20); // the burst, then 20 per second
  });

  it('tells how long until the next token, and refusing changes nothing', () => {
    const bucket = { ratePerSecond: 4, burst: 1 }; // one token every 250 ms
    const first = bucketDecision(undefined, 1000, bucket);
    expect(first).toEqual({ waitMs: 0, tat: 1250 });
    const refused = bucketDecision(first.tat, 1100, bucket);
    expect(refused.waitMs).toBeCloseTo(150, 6);
    expect(refused.tat).toBe(1250);
    expect(bucketDecision(first.tat, 1250, bucket)).toEqual({ waitMs: 0, tat: 1500 });
  });

  it('refills while idle, up to the burst and no further', () => {
    const bucket = { ratePerSecond: 10, burst: 3 };
    let tat: number | undefined;
    for (let i = 0; i < 3; i++) tat = bucketDecision(tat, 0, bucket).tat; // empty at t=0
    expect(bucketDecision(tat, 0, bucket).waitMs).toBeCloseTo(100, 6);
    // 10 s idle: full again (3 tokens), not 100.
    expect(run(bucket, Array(10).fill(10_000)).length).toBe(0 + 3);
  });

  it('handles fractional rates (one grab every 2 s) and the microsecond rounding of stored times', () => {
    const bucket = { ratePerSecond: 1 / 3, burst: 1 };
    const times = Array.from({ length: 10_001 }, (_, i) => i); // 10 s, every ms
    expect(run(bucket, times)).toEqual([0, 3000, 6000, 9000]);
  });
});
