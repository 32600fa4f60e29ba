import { describe, expect, it } from 'vitest';
import { REDIS_ENV, redisOptionsSchema } from '../src/index.js';

describe('redisOptionsSchema', () => {
  it('defaults to a standalone server on localhost with auto-pipelining', () => {
    const options = redisOptionsSchema.parse({});
    expect(options.mode).toBe('standalone');
    expect(options.url).toBe('redis://127.0.0.1:6379');
    expect(options.autoPipelining).toBe(true);
  });

  it('requires seed nodes for cluster mode and sentinels for sentinel mode', () => {
    const cluster = redisOptionsSchema.safeParse({ mode: 'cluster' });
    expect(cluster.success).toBe(false);
    expect(cluster.error?.issues[0]?.path).toEqual(['nodes']);
    const sentinel = redisOptionsSchema.safeParse({ mode: 'sentinel', sentinels: ['not-a-host-port'] });
    expect(sentinel.success).toBe(false);
    expect(redisOptionsSchema.safeParse({ mode: 'cluster', nodes: ['10.0.0.1:6379'] }).success).toBe(true);
  });

  it('takes the password from REDIS_PASSWORD, and an empty one as none', () => {
    expect(REDIS_ENV.REDIS_PASSWORD).toBe('redis.password');
    expect(redisOptionsSchema.parse({ password: 's3cret' }).password).toBe('s3cret');
    expect(redisOptionsSchema.parse({ password: '' }).password).toBeUndefined();
    expect(redisOptionsSchema.parse({}).password).toBeUndefined();
  });
});
