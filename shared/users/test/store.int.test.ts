import { createPool } from '@couponkill/db';
import { createRedis, redisOptionsSchema } from '@couponkill/redis';
import { endpoints, uniqueName } from '@couponkill/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shardOf, UserCache, UserStore, userShardingSchema } from '../src/index.js';

describe('UserStore on real MariaDB', () => {
  const prefix = uniqueName('ck_us');
  const sharding = userShardingSchema.parse({
    indexDatabase: `${prefix}_index`,
    shards: [{ database: `${prefix}_0` }, { database: `${prefix}_1` }, { database: `${prefix}_2` }],
  });
  let store: UserStore;

  beforeAll(async () => {
    await UserStore.migrate(endpoints().mysqlUrl, sharding);
    await UserStore.migrate(endpoints().mysqlUrl, sharding); // a second run is a no-op
    store = UserStore.open(endpoints().mysqlUrl, sharding, 4);
  });
  afterAll(async () => {
    await store.close();
    const server = createPool({ url: endpoints().mysqlUrl, connectionLimit: 1 });
    for (const db of [sharding.indexDatabase, ...sharding.shards.map((s) => s.database)]) {
      await server.query(`DROP DATABASE IF EXISTS \`${db}\``);
    }
    await server.end();
  });

  it('lets exactly one of many concurrent registrations of a username win, across shards', async () => {
    const attempts = await Promise.allSettled(
      Array.from({ length: 20 }, () => store.create({ username: 'same_name', passwordHash: 'x', roles: ['user'] })),
    );
    expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(1);
    const refused = attempts.filter((a): a is PromiseRejectedResult => a.status === 'rejected');
    expect(refused.every((a) => (a.reason as { code?: string }).code === 'ALREADY_EXISTS')).toBe(true);
  });

  it('spreads users over every shard and finds each by id and by username', async () => {
    const created = await Promise.all(
      Array.from({ length: 60 }, (_, i) => store.create({ username: `user_${i}`, passwordHash: 'h', roles: ['user'] })),
    );
    const perShard = [0, 0, 0];
    for (const user of created) perShard[shardOf(user.id, 3)]! += 1;
    expect(perShard.every((n) => n >= 10)).toBe(true); // 60 over 3: none starved
    for (const user of created.slice(0, 5)) {
      expect(await store.findById(user.id)).toEqual(user);
      expect((await store.findByUsername(user.username))?.id).toBe(user.id);
    }
    expect(await store.findById('not-a-ulid')).toBeUndefined();
  });

  it('serves profiles through the Redis cache and drops an entry on invalidate', async () => {
    const redis = createRedis(redisOptionsSchema.parse({ url: endpoints().redisUrl }));
    try {
      const cache = new UserCache(redis, 60);
      const user = await store.create({ username: 'cached_one', passwordHash: 'h', roles: ['user'] });
      let loads = 0;
      const load = async (id: string) => {
        loads += 1;
        return store.findById(id);
      };
      expect(await cache.get(user.id, load)).toEqual(user);
      expect(await cache.get(user.id, load)).toEqual(user);
      expect(loads).toBe(1);
      await cache.invalidate(user.id);
      await cache.get(user.id, load);
      expect(loads).toBe(2);
    } finally {
      redis.disconnect();
    }
  });
});
