import { createPool } from '@couponkill/db';
import { endpoints, uniqueName } from '@couponkill/testkit';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NewOrder, OrderStore, orderShardingSchema } from '../src/index.js';

// The order store against real MariaDB, with the migrations as clusters run them.
const prefix = uniqueName('ck_order_store');
const sharding = orderShardingSchema.parse({ databases: [{ database: `${prefix}_o0` }], tablesPerDatabase: 2 });

function order(validUntil: Date, overrides: Partial<NewOrder> = {}): NewOrder {
  return {
    grabId: `${ulid()}_${ulid()}`,
    userId: uniqueName('user'),
    couponId: ulid(),
    seq: 1,
    faceValueCents: 500,
    minSpendCents: 0,
    validUntil,
    acceptedAt: new Date('2026-12-07T10:00:00.000Z'),
    ...overrides,
  };
}

describe('OrderStore', () => {
  let store: OrderStore;
  beforeAll(async () => {
    await OrderStore.migrate(endpoints().mysqlUrl, sharding);
    store = OrderStore.open(endpoints().mysqlUrl, sharding, 2);
  });
  afterAll(async () => {
    await store.close();
    const server = createPool({ url: endpoints().mysqlUrl, connectionLimit: 1 });
    for (const db of sharding.databases) await server.query(`DROP DATABASE IF EXISTS \`${db.database}\``);
    await server.end();
  });

  it('keeps a validity that ends after January 2038 exactly, and lists it', async () => {
    const late = order(new Date('2040-03-01T12:34:56.789Z'));
    const written = await store.insertBatch([late]);
    const id = written.get(late.grabId);
    expect(id).toBeDefined();
    const stored = await store.get(late.userId, id ?? '');
    expect(stored?.validUntil.toISOString()).toBe('2040-03-01T12:34:56.789Z');
    const listed = await store.listForUser(late.userId, { limit: 10 });
    expect(listed.items.map((o) => o.validUntil.toISOString())).toEqual(['2040-03-01T12:34:56.789Z']);
    // Not due for the expiry job before its date.
    expect((await store.findExpired(100, new Date('2039-01-01T00:00:00Z'))).map((o) => o.id)).not.toContain(id);
  });

  it('still writes one order per grab and per user seq, and ignores a redelivery', async () => {
    const first = order(new Date('2027-01-01T00:00:00.000Z'));
    const written = await store.insertBatch([first]);
    const again = await store.insertBatch([first]);
    expect(again.get(first.grabId)).toBe(written.get(first.grabId));
    // Another grab with the same user and seq gets no order.
    const sameSeq = order(new Date('2027-01-01T00:00:00.000Z'), { userId: first.userId, couponId: first.couponId });
    expect((await store.insertBatch([sameSeq])).has(sameSeq.grabId)).toBe(false);
  });

  it('in a many-row batch, keeps first orders of redelivered grabs and refuses taken seqs, table by table', async () => {
    const validUntil = new Date('2027-01-01T00:00:00.000Z');
    const couponId = ulid();
    // Enough users that every table gets several rows, so each table's INSERT is a multi-row one.
    const fresh = Array.from({ length: 40 }, (_, i) => order(validUntil, { couponId, userId: uniqueName(`u${i}`) }));
    const first = await store.insertBatch(fresh);
    expect(first.size).toBe(fresh.length);
    expect(new Set(first.values()).size).toBe(fresh.length);
    for (const o of fresh) expect((await store.get(o.userId, first.get(o.grabId) ?? ''))?.grabId).toBe(o.grabId);

    const redelivered = fresh.slice(0, 10);
    const seqTaken = fresh.slice(10, 15).map((o) => order(validUntil, { couponId, userId: o.userId, seq: o.seq }));
    const more = Array.from({ length: 20 }, (_, i) => order(validUntil, { couponId, userId: uniqueName(`v${i}`) }));
    const twice = order(validUntil, { couponId, userId: uniqueName('twice') });
    const second = await store.insertBatch([...redelivered, ...seqTaken, ...more, twice, twice]);
    for (const o of redelivered) expect(second.get(o.grabId)).toBe(first.get(o.grabId));
    for (const o of seqTaken) expect(second.has(o.grabId)).toBe(false);
    for (const o of [...more, twice]) {
      const id = second.get(o.grabId);
      expect((await store.get(o.userId, id ?? ''))?.grabId).toBe(o.grabId);
    }
    expect(second.size).toBe(redelivered.length + more.length + 1);
    expect((await store.allForCoupon(couponId)).length).toBe(fresh.length + more.length + 1);
  });

  it('refuses an order it cannot store instead of writing a wrong value', async () => {
    const broken = order(new Date('2030-01-01T00:00:00Z'), { faceValueCents: -1 });
    await expect(store.insertBatch([broken])).rejects.toThrow();
    expect(await store.listForUser(broken.userId, { limit: 10 })).toEqual({ items: [], nextCursor: null });
  });
});
