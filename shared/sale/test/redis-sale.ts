import { createRedis, type RedisClient, redisOptionsSchema } from '@couponkill/redis';
import { endpoints } from '@couponkill/testkit';
import { Sale } from '../src/index.js';

/** A Sale on the run's Redis whose outbox registry is the test file's own. */
export function openSale(clientName: string, outboxRegistry: string): { redis: RedisClient; sale: Sale } {
  const redis = createRedis(redisOptionsSchema.parse({ url: endpoints().redisUrl }), clientName);
  return { redis, sale: new Sale(redis, { outboxRegistry }) };
}

/** Deletes every key of the given coupons and the registry, then disconnects. */
export async function closeSale(redis: RedisClient, outboxRegistry: string, couponIds: readonly string[]) {
  for (const id of couponIds) {
    const keys = await redis.keys(`ck:{c:${id}}:*`);
    if (keys.length > 0) await redis.del(...keys);
  }
  await redis.del(outboxRegistry);
  redis.disconnect();
}
