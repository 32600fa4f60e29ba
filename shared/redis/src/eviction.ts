import type { RedisClient } from './client.js';

/**
 * Policies under which Redis never drops a key on its own. Any other policy may evict sale state
 * (stock, holders, outbox, QUEUED grab records) once memory is full: oversold or lost grabs.
 */
const SAFE_POLICIES = new Set(['noeviction']);

/** The server's `maxmemory-policy`, read from INFO (allowed where CONFIG is not). */
export async function maxmemoryPolicy(redis: RedisClient): Promise<string | undefined> {
  const info = await redis.info('memory');
  return /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
}

/**
 * Refuses to run against a Redis that may evict sale keys. A Redis out of reach is not decided
 * here (undefined): the function starts, and its readiness waits for Redis anyway.
 */
export async function assertNoEviction(redis: RedisClient, timeoutMs = 2000): Promise<string | undefined> {
  let policy: string | undefined;
  try {
    policy = await Promise.race([
      maxmemoryPolicy(redis),
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), timeoutMs).unref()),
    ]);
  } catch {
    return undefined;
  }
  if (policy !== undefined && !SAFE_POLICIES.has(policy)) {
    throw new Error(
      `Redis runs with maxmemory-policy ${policy}, which can evict sale state (stock, outbox, grab records); ` +
        'set maxmemory-policy noeviction on the server',
    );
  }
  return policy;
}
