import { fileURLToPath } from 'node:url';
import { createPool, loadMigrations, migrateDatabase } from '@couponkill/db';
import { endpoints, uniqueName } from '@couponkill/testkit';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { locateUser, type NewOrder, OrderStore, orderShardingSchema } from '../src/index.js';

// The order store against real MariaDB, with the migrations as clusters run them.
const prefix = uniqueName('ck_order_store');
const sharding = orderShardingSchema.parse({ databases: [{ database: `${prefix}_o0` }], tablesPerDatabase: 2 });
const MIGRATIONS = fileURLToPath(new URL('../migrations', import.meta.url));

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

  it('tells user ids apart by case: two users, two orders with the same coupon and seq, neither sees the other', async () => {
    // Two ids that differ only in case and land in the same table (the shard hash is case-sensitive).
    const base = uniqueName('CaseUser');
    const mixed = Array.from({ length: 64 }, (_, i) => `${base}-${i}`).find(
      (id) => locateUser(id, sharding).table === locateUser(id.toUpperCase(), sharding).table,
    );
    if (mixed === undefined) throw new Error('no id pair shares a table');
    const upper = mixed.toUpperCase();
    const couponId = ulid();
    const a = order(new Date('2027-01-01T00:00:00Z'), { userId: mixed, couponId });
    const b = order(new Date('2027-01-01T00:00:00Z'), { userId: upper, couponId });
    const written = await store.insertBatch([a, b]);
    expect(written.size).toBe(2);
    const idA = written.get(a.grabId) ?? '';
    const idB = written.get(b.grabId) ?? '';
    expect((await store.get(mixed, idA))?.userId).toBe(mixed);
    expect(await store.get(mixed, idB)).toBeUndefined();
    expect(await store.transition(mixed, idB, 'UNUSED', 'CANCELLED')).toBe(false);
    expect((await store.listForUser(upper, { limit: 10 })).items.map((o) => o.id)).toEqual([idB]);
  });

  it('matches ids exactly as stored and answers ids it cannot store as not found', async () => {
    const o = order(new Date('2027-01-01T00:00:00Z'));
    const id = (await store.insertBatch([o])).get(o.grabId) ?? '';
    expect((await store.get(o.userId, id))?.grabId).toBe(o.grabId);
    expect(await store.get(o.userId, id.toLowerCase())).toBeUndefined();
    expect((await store.countByStatus(o.couponId.toLowerCase())).UNUSED).toBe(0);
    expect((await store.countByStatus(o.couponId)).UNUSED).toBe(1);
    // Not ASCII: no such order, rather than MariaDB's "illegal mix of collations".
    expect(await store.get('usér', id)).toBeUndefined();
    expect(await store.listForUser(o.userId, { limit: 10, cursor: 'Ω' })).toEqual({ items: [], nextCursor: null });
    expect(await store.transition('usér', id, 'UNUSED', 'USED')).toBe(false);
    expect(await store.allForCoupon('coupön')).toEqual([]);
    expect((await store.countByStatus('coupön')).UNUSED).toBe(0);
  });

  it('refuses an order it cannot store instead of writing a wrong value', async () => {
    const broken = order(new Date('2030-01-01T00:00:00Z'), { faceValueCents: -1 });
    await expect(store.insertBatch([broken])).rejects.toThrow();
    expect(await store.listForUser(broken.userId, { limit: 10 })).toEqual({ items: [], nextCursor: null });
  });

  it('converts tables written before migration 0003 and keeps their orders findable', async () => {
    const old = orderShardingSchema.parse({ databases: [{ database: `${prefix}_old` }], tablesPerDatabase: 2 });
    const db = old.databases[0]?.database ?? '';
    const render = (sql: string) => [0, 1].map((n) => sql.replaceAll('{{n}}', String(n))).join('\n');
    // The schema as it was before 0003, with orders in it.
    await migrateDatabase(endpoints().mysqlUrl, db, loadMigrations(MIGRATIONS, render).slice(0, 2));
    const before = OrderStore.open(endpoints().mysqlUrl, old, 2);
    const orders = Array.from({ length: 12 }, (_, i) =>
      order(new Date('2027-01-01T00:00:00Z'), { userId: uniqueName(`old${i}`) }),
    );
    const written = await before.insertBatch(orders);
    await before.close();

    await OrderStore.migrate(endpoints().mysqlUrl, old);
    const server = createPool({ url: endpoints().mysqlUrl, connectionLimit: 1 });
    try {
      const [columns] = await server.query(
        `SELECT table_name AS t, column_name AS c, collation_name AS collation FROM information_schema.columns
         WHERE table_schema = ? AND column_name IN ('id', 'grab_id', 'user_id', 'coupon_id') ORDER BY t, c`,
        [db],
      );
      expect(columns).toHaveLength(8);
      for (const column of columns as Array<{ collation: string }>) expect(column.collation).toBe('ascii_bin');
      const after = OrderStore.open(endpoints().mysqlUrl, old, 2);
      try {
        for (const o of orders) expect((await after.get(o.userId, written.get(o.grabId) ?? ''))?.grabId).toBe(o.grabId);
        // A redelivery still finds the order written before the conversion.
        const again = await after.insertBatch(orders);
        for (const o of orders) expect(again.get(o.grabId)).toBe(written.get(o.grabId));
      } finally {
        await after.close();
      }
    } finally {
      await server.query(`DROP DATABASE IF EXISTS \`${db}\``);
      await server.end();
    }
  });
});
