import type { RedisClient } from '@couponkill/redis';
import { uniqueName } from '@couponkill/testkit';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { couponKeys, type Sale } from '../src/index.js';
import { closeSale, openSale } from './redis-sale.js';

// The flow buckets inside the grab script: a rate-limited grab takes nothing and writes nothing.
describe('the grab script with flow buckets', () => {
  let redis: RedisClient;
  let sale: Sale;
  const registry = `ck:outboxes:${uniqueName('grab-flow')}`;
  const coupons: string[] = [];

  beforeAll(() => {
    ({ redis, sale } = openSale('grab-flow-test', registry));
  });
  afterAll(() => closeSale(redis, registry, coupons));

  async function coupon(stock = 100): Promise<string> {
    const id = ulid();
    coupons.push(id);
    await sale.preheat(
      id,
      {
        status: 'active',
        type: 'normal',
        perUserLimit: 50,
        startMs: 0,
        endMs: 0,
        totalStock: stock,
      },
      async () => 0,
    );
    return id;
  }

  it('admits the burst, then refuses with the wait of the empty bucket and leaves stock, holders, outbox alone', async () => {
    const id = await coupon();
    const flow = { clientIp: '10.0.0.1', user: { ratePerSecond: 1, burst: 2 } };
    const outcomes = [];
    for (let i = 0; i < 5; i++) outcomes.push(await sale.grab(id, 'u1', '', flow));
    expect(outcomes.map((o) => (o.ok ? 'OK' : o.refusal))).toEqual([
      'OK',
      'OK',
      'RATE_LIMITED',
      'RATE_LIMITED',
      'RATE_LIMITED',
    ]);
    const refused = outcomes[2];
    if (refused?.ok !== false || refused.refusal !== 'RATE_LIMITED') throw new Error('expected RATE_LIMITED');
    expect(refused.waitMs.coupon).toBe(0);
    expect(refused.waitMs.ip).toBe(0);
    expect(refused.waitMs.user).toBeGreaterThan(900);
    expect(refused.waitMs.user).toBeLessThanOrEqual(1000);

    const k = couponKeys(id);
    expect(await sale.stockLeft(id)).toBe(98);
    expect((await sale.counters(id)).holders.get('u1')).toBe(2);
    expect((await sale.counters(id)).seqs.get('u1')).toBe(2);
    expect(await sale.outboxLength(id)).toBe(2);
    expect(await redis.keys(`${k.grab('*')}`)).toHaveLength(2); // no record for a refused grab
    // Another user is not affected by u1's bucket.
    expect((await sale.grab(id, 'u2', '', flow)).ok).toBe(true);
  });

  it('takes from every bucket or from none: a full user bucket is untouched when the address bucket is empty', async () => {
    const id = await coupon();
    const k = couponKeys(id);
    const ipOnly = { clientIp: '10.0.0.9', ip: { ratePerSecond: 0.1, burst: 1 } };
    expect((await sale.grab(id, 'first', '', ipOnly)).ok).toBe(true);
    const both = { ...ipOnly, user: { ratePerSecond: 0.1, burst: 1 } };
    expect(await sale.grab(id, 'second', '', both)).toMatchObject({ ok: false, refusal: 'RATE_LIMITED' });
    expect(await redis.exists(k.flowUser('second'))).toBe(0); // nothing taken from the user's bucket
    expect(await sale.grab(id, 'second', '', { ...both, clientIp: '10.0.0.10' })).toMatchObject({ ok: true });
    expect(Number(await redis.pttl(k.flowUser('second')))).toBeGreaterThan(9000); // now it was
  });

  it('checks the sale state that costs nothing first: an unknown or inactive coupon writes no bucket', async () => {
    const id = ulid();
    coupons.push(id);
    const flow = { clientIp: '10.0.0.1', coupon: { ratePerSecond: 1, burst: 1 }, user: { ratePerSecond: 1, burst: 1 } };
    expect(await sale.grab(id, 'u1', '', flow)).toEqual({ ok: false, refusal: 'NOT_FOUND' });
    expect(await redis.keys(`ck:{c:${id}}:*`)).toEqual([]);
  });

  it('writes no flow key at all without rules', async () => {
    const id = await coupon();
    expect((await sale.grab(id, 'u1')).ok).toBe(true);
    expect(await redis.keys(`ck:{c:${id}}:flow:*`)).toEqual([]);
  });
});
