import { createPool } from '@couponkill/db';
import { endpoints, uniqueName } from '@couponkill/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Coupon, CouponStore, type NewCoupon } from '../src/index.js';

const saleCoupon: NewCoupon = {
  name: 'Double 11',
  type: 'seckill',
  faceValueCents: 500,
  minSpendCents: 2000,
  validDays: 7,
  perUserLimit: 2,
  totalStock: 100,
  startAt: '2030-11-11T00:00:00.123Z',
  endAt: '2030-11-11T02:00:00.000Z',
  status: 'active',
};

describe('CouponStore on real MariaDB', () => {
  const database = uniqueName('ck_coupons');
  let store: CouponStore;
  const created: Coupon[] = [];

  beforeAll(async () => {
    await CouponStore.migrate(endpoints().mysqlUrl, database);
    await CouponStore.migrate(endpoints().mysqlUrl, database); // a second run is a no-op
    store = CouponStore.open(endpoints().mysqlUrl, database, 4);
  });
  afterAll(async () => {
    await store.close();
    const server = createPool({ url: endpoints().mysqlUrl, connectionLimit: 1 });
    await server.query(`DROP DATABASE IF EXISTS \`${database}\``);
    await server.end();
  });

  it('creates a coupon and reads it back with ISO times to the millisecond', async () => {
    const coupon = await store.create(saleCoupon);
    created.push(coupon);
    expect(coupon).toMatchObject({ ...saleCoupon, id: expect.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/) });
    expect(coupon.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(await store.get(coupon.id)).toEqual(coupon);
    expect(await store.get('not-a-ulid')).toBeUndefined();
    expect(await store.get('01JCK0000000000000000000AA')).toBeUndefined();
  });

  it('leaves no row when the work before the commit fails', async () => {
    let seen: Coupon | undefined;
    await expect(
      store.create({ ...saleCoupon, name: 'never' }, async (coupon) => {
        seen = coupon;
        throw new Error('preheat failed');
      }),
    ).rejects.toThrow('preheat failed');
    expect(seen?.name).toBe('never');
    expect(await store.get(seen?.id ?? '')).toBeUndefined();
  });

  it('pages through live coupons newest first, even within one millisecond', async () => {
    created.push(
      ...(await Promise.all(
        Array.from({ length: 6 }, (_, i) => store.create({ ...saleCoupon, name: `coupon ${i}`, type: 'normal' })),
      )),
    );
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; ; pages++) {
      const page = await store.list({ limit: 3, cursor });
      seen.push(...page.items.map((c) => c.id));
      if (page.nextCursor === null) break;
      cursor = page.nextCursor;
      expect(pages).toBeLessThan(5);
    }
    expect(seen).toEqual(
      created
        .map((c) => c.id)
        .sort()
        .reverse(),
    );
    expect(seen[0]).toBe(created.at(-1)?.id); // the last one asked for, though created concurrently
  });

  it('updates under the row lock, and a failing check before the commit changes nothing', async () => {
    const coupon = await store.create(saleCoupon);
    await expect(
      store.update(coupon.id, { totalStock: 5 }, async (next, current) => {
        expect(next.totalStock).toBe(5);
        expect(current.totalStock).toBe(100);
        throw new Error('below sold');
      }),
    ).rejects.toThrow('below sold');
    expect(await store.get(coupon.id)).toEqual(coupon);

    await new Promise((r) => setTimeout(r, 5)); // so updated_at moves
    const updated = await store.update(coupon.id, {
      name: 'renamed',
      status: 'inactive',
      startAt: '2031-01-01T00:00:00.000Z',
      endAt: '2031-01-02T00:00:00.000Z',
      totalStock: 50,
      perUserLimit: undefined, // absent: left as it is
    });
    expect(updated).toMatchObject({
      name: 'renamed',
      status: 'inactive',
      startAt: '2031-01-01T00:00:00.000Z',
      totalStock: 50,
      perUserLimit: 2,
      createdAt: coupon.createdAt,
    });
    expect(updated?.updatedAt).not.toBe(coupon.updatedAt);
    expect(await store.get(coupon.id)).toEqual(updated);
    expect(await store.update('01JCK0000000000000000000AA', { name: 'x' })).toBeUndefined();
  });

  it('soft-deletes: the coupon is gone from reads and further changes, once', async () => {
    const coupon = await store.create(saleCoupon);
    await expect(
      store.softDelete(coupon.id, async () => {
        throw new Error('live orders');
      }),
    ).rejects.toThrow('live orders');
    expect(await store.get(coupon.id)).toBeDefined();

    expect(await store.softDelete(coupon.id)).toBe(true);
    expect(await store.get(coupon.id)).toBeUndefined();
    expect(await store.softDelete(coupon.id)).toBe(false);
    expect(await store.update(coupon.id, { name: 'x' })).toBeUndefined();
    expect(await store.whileLocked(coupon.id, async () => 1)).toBeUndefined();
    expect((await store.list({ limit: 100 })).items.map((c) => c.id)).not.toContain(coupon.id);
  });

  it('refuses a database name it would have to quote', async () => {
    await expect(CouponStore.migrate(endpoints().mysqlUrl, 'x`; DROP DATABASE mysql; --')).rejects.toThrow();
    expect(() => CouponStore.open(endpoints().mysqlUrl, 'Bad-Name')).toThrow();
  });
});
