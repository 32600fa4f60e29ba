import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpoints, uniqueName } from '@couponkill/testkit';
import { createRedis, defineScripts, type RedisClient, redisOptionsSchema } from '../src/index.js';

// Takes one unit of stock if any is left: the shape of the grab decision, in miniature.
const TAKE = {
  keys: 1,
  lua: `
local left = tonumber(redis.call('GET', KEYS[1]) or '0')
if left <= 0 then return 0 end
redis.call('DECR', KEYS[1])
return 1`,
};

describe('ioredis against a real Redis', () => {
  let redis: RedisClient;
  const stockKey = `${uniqueName('ck:test')}:{c:1}:stock`;

  beforeAll(async () => {
    redis = createRedis(redisOptionsSchema.parse({ url: endpoints().redisUrl }), 'redis-int-test');
    await redis.connect();
  });
  afterAll(async () => {
    await redis.del(stockKey);
    redis.disconnect();
  });

  it('runs a defined Lua script through EVALSHA, atomically under concurrency', async () => {
    const scripts = defineScripts(redis, { take: TAKE });
    await redis.set(stockKey, 50);
    const before = await evalshaCalls(redis);
    const results = await Promise.all(Array.from({ length: 400 }, () => scripts.take([stockKey], [])));
    expect(results.filter((r) => r === 1)).toHaveLength(50);
    expect(await redis.get(stockKey)).toBe('0');
    // The first call loads the script (EVALSHA misses, EVAL runs); every later one is an EVALSHA.
    expect(await evalshaCalls(redis)).toBeGreaterThanOrEqual(before + 399);
  });

  it('still runs after the server dropped its script cache (EVALSHA falls back to EVAL)', async () => {
    const scripts = defineScripts(redis, { take: TAKE });
    await redis.set(stockKey, 1);
    await redis.script('FLUSH');
    await expect(scripts.take([stockKey], [])).resolves.toBe(1);
    await expect(scripts.take([stockKey], [])).resolves.toBe(0);
  });

  it('rejects a call with the wrong number of keys before it reaches Redis', async () => {
    const scripts = defineScripts(redis, { take: TAKE });
    await expect(scripts.take([], [])).rejects.toThrow('takes 1 keys, got 0');
  });
});

async function evalshaCalls(redis: RedisClient): Promise<number> {
  const info = await redis.info('commandstats');
  const match = /cmdstat_evalsha:calls=(\d+)/.exec(info);
  return match?.[1] === undefined ? 0 : Number(match[1]);
}
