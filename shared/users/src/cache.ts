import type { RedisClient } from '@couponkill/redis';
import type { User } from './store.js';

const key = (id: string) => `ck:user:${id}`;

/**
 * Profiles read through Redis: a hit costs one GET instead of a shard query. Entries expire on
 * their own; every write path calls `invalidate` so a change is visible at once.
 */
export class UserCache {
  readonly #redis: RedisClient;
  readonly #ttlSeconds: number;

  constructor(redis: RedisClient, ttlSeconds = 300) {
    this.#redis = redis;
    this.#ttlSeconds = ttlSeconds;
  }

  async get(id: string, load: (id: string) => Promise<User | undefined>): Promise<User | undefined> {
    const cached = await this.#redis.get(key(id));
    if (cached !== null) return JSON.parse(cached) as User;
    const user = await load(id);
    if (user !== undefined) await this.#redis.set(key(id), JSON.stringify(user), 'EX', this.#ttlSeconds);
    return user;
  }

  async invalidate(id: string): Promise<void> {
    await this.#redis.del(key(id));
  }
}
