import { z } from 'zod';

/**
 * How to reach Redis. Standalone today; cluster and sentinel are a config change, because every
 * script keeps its keys in one hash slot (`{c:<couponId>}`), so nothing else has to change.
 */
export const redisOptionsSchema = z
  .object({
    mode: z.enum(['standalone', 'cluster', 'sentinel']).default('standalone'),
    /** standalone: `redis://[:password@]host:port[/db]` */
    url: z.url().default('redis://127.0.0.1:6379'),
    /** cluster: seed nodes `host:port` */
    nodes: z.array(z.string().regex(/^[^:\s]+:\d+$/, 'expected host:port')).default([]),
    /** sentinel: sentinels `host:port` and the monitored master's name */
    sentinels: z.array(z.string().regex(/^[^:\s]+:\d+$/, 'expected host:port')).default([]),
    masterName: z.string().default('mymaster'),
    /** AUTH password; empty means none (a Secret key left empty), as an absent one does. */
    password: z
      .string()
      .optional()
      .transform((v) => (v === '' ? undefined : v)),
    /** Batches commands issued in the same tick into one round trip; the grab path relies on it. */
    autoPipelining: z.boolean().default(true),
    connectTimeoutMs: z.number().int().positive().default(2000),
    commandTimeoutMs: z.number().int().positive().default(2000),
  })
  .superRefine((value, ctx) => {
    if (value.mode === 'cluster' && value.nodes.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['nodes'], message: 'cluster mode needs at least one node' });
    }
    if (value.mode === 'sentinel' && value.sentinels.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['sentinels'], message: 'sentinel mode needs at least one sentinel' });
    }
  });

export type RedisOptions = z.output<typeof redisOptionsSchema>;

/**
 * The environment variables of a function's `redis` section (for `loadConfig`'s env map). The
 * password comes on its own (the chart's Secret key REDIS_PASSWORD), never inside the URL.
 */
export const REDIS_ENV = {
  REDIS_URL: 'redis.url',
  REDIS_MODE: 'redis.mode',
  REDIS_PASSWORD: 'redis.password',
} as const;
