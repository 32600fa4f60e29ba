import { z } from 'zod';

const databaseName = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'a database name: lower-case letters, digits, _');

/**
 * `user-sharding.yaml`: where users live. Each shard is a database, optionally on a server of
 * its own (`url`); the username index is one more database. The shard of a user is fixed by a
 * hash of the id, so the list may only grow through a planned migration, never be reordered.
 */
export const userShardingSchema = z.object({
  indexDatabase: databaseName.default('couponkill_users_index'),
  shards: z
    .array(z.object({ database: databaseName, url: z.url().optional() }))
    .min(1)
    .default([{ database: 'couponkill_users_0' }, { database: 'couponkill_users_1' }]),
});
export type UserSharding = z.output<typeof userShardingSchema>;

/** FNV-1a over the id: cheap, stable across processes and languages, evenly spread for ULIDs. */
export function shardOf(userId: string, shardCount: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < userId.length; i++) {
    hash ^= userId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % shardCount;
}
