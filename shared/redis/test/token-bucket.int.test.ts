import { endpoints, uniqueName } from '@couponkill/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bucketDecision,
  createRedis,
  defineScripts,
  type RedisClient,
  redisOptionsSchema,
  TAKE_TOKEN,
  TOKEN_BUCKET_LUA,
  type TokenBucket,
} from '../src/index.js';

// The bucket Lua with the clock passed in, so it can be compared with the TypeScript reference
// on the same times (the production scripts read Redis TIME). The TTL it sets is reported and
// then removed: it runs on the real clock, which this test's made-up one does not follow.
const TAKE_AT = {
  keys: 1,
  lua: `
${TOKEN_BUCKET_LUA}
local now, rate = tonumber(ARGV[3]), tonumber(ARGV[1])
local wait, tat = bucket_wait(KEYS[1], now, rate, tonumber(ARGV[2]))
if wait > 0 then return {0, tostring(wait)} end
bucket_take(KEYS[1], now, rate, tat)
local ttl = redis.call('PTTL', KEYS[1])
redis.call('PERSIST', KEYS[1])
return {1, redis.call('GET', KEYS[1]), ttl}`,
};

describe('token buckets in Redis', () => {
  let redis: RedisClient;
  const prefix = uniqueName('ck:test:bucket');

  beforeAll(async () => {
    redis = createRedis(redisOptionsSchema.parse({ url: endpoints().redisUrl }), 'bucket-int-test');
    await redis.connect();
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('decides exactly as the TypeScript reference on 2,000 random request times', async () => {
    const scripts = defineScripts(redis, { takeAt: TAKE_AT });
    const cases: TokenBucket[] = [
      { ratePerSecond: 20, burst: 10 },
      { ratePerSecond: 0.5, burst: 1 },
      { ratePerSecond: 333, burst: 7 },
    ];
    for (const [i, bucket] of cases.entries()) {
      const key = `${prefix}:${i}`;
      let now = 1_763_000_000_000 + Math.random() * 1000;
      let tat: number | undefined;
      let admitted = 0;
      for (let n = 0; n < 2000 / cases.length; n++) {
        now += Math.random() < 0.3 ? 0 : Math.random() * (2000 / bucket.ratePerSecond);
        now = Number(now.toFixed(3)); // Redis TIME has microseconds
        const expected = bucketDecision(tat, now, bucket);
        const [took, value, ttl] = (await scripts.takeAt([key], [bucket.ratePerSecond, bucket.burst, now])) as [
          number,
          string,
          number?,
        ];
        if (expected.waitMs === 0) {
          expect(took).toBe(1);
          expect(Number(value)).toBeCloseTo(expected.tat, 3);
          // The key lives until the bucket is full again, and no longer (PTTL runs on the real
          // clock, which may have ticked since the SET).
          expect(ttl).toBeLessThanOrEqual(Math.ceil(expected.tat - now));
          expect(ttl).toBeGreaterThan(Math.ceil(expected.tat - now) - 100);
          tat = expected.tat;
          admitted++;
        } else {
          expect(took).toBe(0);
          expect(Number(value)).toBeCloseTo(expected.waitMs, 3);
        }
      }
      expect(admitted).toBeGreaterThan(10);
    }
  });

  it('takes by the Redis clock: a burst at once, then the next token after one interval', async () => {
    const scripts = defineScripts(redis, { take: TAKE_TOKEN });
    const key = `${prefix}:clock`;
    const bucket = [10, 3] as const; // 10/s: one token every 100 ms, 3 at once
    const first = await Promise.all(Array.from({ length: 5 }, () => scripts.take([key], bucket)));
    expect(first.slice(0, 3)).toEqual([0, 0, 0]);
    for (const wait of first.slice(3) as number[]) {
      expect(wait).toBeGreaterThan(80);
      expect(wait).toBeLessThanOrEqual(100);
    }
    await new Promise((r) => setTimeout(r, 110));
    expect(await scripts.take([key], bucket)).toBe(0); // refilled
  });
});
