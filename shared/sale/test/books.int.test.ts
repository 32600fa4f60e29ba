import type { RedisClient } from '@couponkill/redis';
import { uniqueName } from '@couponkill/testkit';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { couponKeys, Sale, type SaleSettings } from '../src/index.js';
import { closeSale, openSale } from './redis-sale.js';

// The sale scripts keep the books: what they answer and what Redis holds never disagree, and no
// admin or worker step can take, drop or refill a unit behind the grab's back.
describe('the books of the sale scripts', () => {
  let redis: RedisClient;
  let sale: Sale;
  const registry = `ck:outboxes:${uniqueName('books')}`;
  const coupons: string[] = [];
  const settings = (totalStock: number): SaleSettings => ({
    status: 'active',
    type: 'normal',
    perUserLimit: 5,
    startMs: 0,
    endMs: 0,
    totalStock,
  });

  beforeAll(() => {
    ({ redis, sale } = openSale('books-test', registry));
  });
  afterAll(() => closeSale(redis, registry, coupons));

  async function coupon(stock: number, on: Sale = sale): Promise<string> {
    const id = ulid();
    coupons.push(id);
    expect(await on.preheat(id, settings(stock), async () => 0)).toEqual({ stockLeft: stock });
    return id;
  }

  async function accepted(id: string, userId: string): Promise<{ grabId: string; seq: number }> {
    const outcome = await sale.grab(id, userId);
    if (!outcome.ok) throw new Error(`refused: ${outcome.refusal}`);
    return outcome;
  }

  it('a full outbox answers BACKLOGGED before taking stock, and never trims an accepted intent', async () => {
    const capped = new Sale(redis, { outboxRegistry: registry, outboxCap: 5 });
    const id = await coupon(100, capped);
    for (let i = 0; i < 5; i++) expect((await capped.grab(id, `u${i}`)).ok).toBe(true);
    expect(await capped.grab(id, 'u5')).toEqual({ ok: false, refusal: 'BACKLOGGED' });
    expect(await sale.stockLeft(id)).toBe(95);
    expect(await redis.xlen(couponKeys(id).outbox)).toBe(5);
    expect(await redis.hget(couponKeys(id).holders, 'u5')).toBeNull();
  });

  it('sequence numbers keep growing past 1000 (they only ever go up)', async () => {
    const id = await coupon(10);
    await redis.hset(couponKeys(id).seqs, 'veteran', 1000);
    expect(await sale.grab(id, 'veteran')).toMatchObject({ ok: true, seq: 1001 });
  });

  it('a preheat never refills stock over orders written before the sale state was lost', async () => {
    const id = await coupon(10);
    for (let i = 0; i < 3; i++) await accepted(id, `buyer${i}`);
    // Redis lost the meta hash (a flush, an eviction, a failover to a stale replica).
    await redis.del(couponKeys(id).meta);
    expect(await sale.preheat(id, settings(10), async () => 3)).toEqual({ needsAudit: 3 });
    expect(await sale.stockLeft(id)).toBe(7);
    // Everything lost: MySQL's orders still forbid a refill.
    const k = couponKeys(id);
    await redis.del(k.meta, k.stock, k.holders, k.seqs, k.queued, k.outbox);
    expect(await sale.preheat(id, settings(10), async () => 3)).toEqual({ needsAudit: 3 });
    expect(await sale.stockLeft(id)).toBeUndefined();
    // A coupon that never sold starts full, and the count is only asked for when there is no state.
    let asked = 0;
    const fresh = ulid();
    coupons.push(fresh);
    expect(await sale.preheat(fresh, settings(4), async () => (asked++, 0))).toEqual({ stockLeft: 4 });
    expect(await sale.preheat(fresh, settings(6), async () => (asked++, 0))).toEqual({ stockLeft: 6 });
    expect(asked).toBe(1);
  });

  it('a cancel between the order commit and its SUCCEEDED mark still gives the unit back, once', async () => {
    const id = await coupon(5);
    const grab = await accepted(id, 'dora');
    // The order worker committed order o-1, then stalled before marking the grab; the user cancels.
    const release = { from: 'SUCCEEDED', to: 'CANCELLED', reason: 'CANCELLED_BY_USER', orderId: 'o-1' } as const;
    expect(await sale.release(grab.grabId, 'dora', release)).toBe(true);
    expect(await sale.release(grab.grabId, 'dora', release)).toBe(false);
    expect(await sale.stockLeft(id)).toBe(5);
    expect(await sale.queuedCount(id)).toBe(0);
    // The worker's retry marks nothing and gives nothing back twice.
    expect(await sale.succeed(grab.grabId, 'dora', 'o-1')).toBe('already');
    expect(await sale.record(grab.grabId)).toMatchObject({ status: 'CANCELLED', orderId: 'o-1', userId: 'dora' });
    expect(await sale.stockLeft(id)).toBe(5);
  });

  it('SUCCEED never re-creates a record it cannot find, nor marks a compensated or foreign grab', async () => {
    const id = await coupon(5);
    const gone = await accepted(id, 'erin');
    await redis.del(couponKeys(id).grab(gone.grabId));
    expect(await sale.succeed(gone.grabId, 'erin', 'o-2')).toBe('refused');
    expect(await redis.exists(couponKeys(id).grab(gone.grabId))).toBe(0);

    const failed = await accepted(id, 'fay');
    expect(await sale.release(failed.grabId, 'fay', { from: 'QUEUED', to: 'FAILED', reason: 'DEAD_LETTERED' })).toBe(
      true,
    );
    expect(await sale.succeed(failed.grabId, 'fay', 'o-3')).toBe('refused');

    const hers = await accepted(id, 'gina');
    expect(await sale.succeed(hers.grabId, 'mallory', 'o-4')).toBe('refused');
    expect(await sale.succeed(hers.grabId, 'gina', 'o-4')).toBe('marked');
    expect(await sale.succeed(hers.grabId, 'gina', 'o-4')).toBe('already');
  });

  it('a VOID record (an attempt the fence settled as not taken) shows no grab, whole or by status', async () => {
    const id = await coupon(5);
    const grab = await accepted(id, 'vera');
    expect(await sale.status(grab.grabId)).toBe('QUEUED');
    await redis.hset(couponKeys(id).grab(grab.grabId), 'status', 'VOID');
    expect(await sale.status(grab.grabId)).toBeUndefined();
    expect(await sale.record(grab.grabId)).toBeUndefined();
  });

  it('QUEUED grab records do not expire until settled; the QUEUED count follows them', async () => {
    const id = await coupon(5);
    const grab = await accepted(id, 'hal');
    expect(await redis.pttl(couponKeys(id).grab(grab.grabId))).toBe(-1);
    expect(await sale.queuedCount(id)).toBe(1);
    expect(await sale.succeed(grab.grabId, 'hal', 'o-5', 60_000)).toBe('marked');
    expect(await redis.pttl(couponKeys(id).grab(grab.grabId))).toBeGreaterThan(0);
    expect(await sale.queuedCount(id)).toBe(0);
  });

  it('removing the sale state is refused while accepted grabs are on their way to becoming orders', async () => {
    const id = await coupon(5);
    const grab = await accepted(id, 'ivy');
    expect(await sale.remove(id)).toEqual({ busy: { outbox: 1, queued: 1, deadLetters: 0 } });
    expect(await redis.xlen(couponKeys(id).outbox)).toBe(1);
    // Published and written: the outbox entry is gone, the grab settled; then it may go.
    await redis.del(couponKeys(id).outbox);
    await redis.hset(couponKeys(id).dead, 'some-grab', JSON.stringify({ userId: 'ivy' }));
    expect(await sale.succeed(grab.grabId, 'ivy', 'o-6')).toBe('marked');
    expect(await sale.remove(id)).toEqual({ busy: { outbox: 0, queued: 0, deadLetters: 1 } });
    await redis.del(couponKeys(id).dead);
    expect(await sale.remove(id)).toEqual({ removed: true });
    expect(await sale.stockLeft(id)).toBeUndefined();
  });

  it('a paused sale refuses grabs without taking, and a rebuild only lands on the version it read', async () => {
    const id = await coupon(5);
    await accepted(id, 'jo');
    const version = await sale.pause(id, 5000);
    expect(version).toBeGreaterThan(0);
    expect(await sale.grab(id, 'kim')).toMatchObject({ ok: false, refusal: 'PAUSED' });
    expect(await sale.stockLeft(id)).toBe(4);
    // A release moves the version: a rebuild computed before it must not land.
    const other = await sale.grab(id, 'jo', '', undefined, 'x');
    expect(other).toMatchObject({ ok: false, refusal: 'PAUSED' });
    const state = { stockLeft: 4, users: [{ userId: 'jo', held: 1, seq: 1 }] };
    const before = await sale.pause(id, 5000);
    await redis.hincrby(couponKeys(id).meta, 'ver', 1); // what any grab, release or mark does
    expect(await sale.restore(id, settings(5), state, before)).toBe(false);
    expect(await sale.restore(id, settings(5), state, await sale.pause(id, 5000))).toBe(true);
    // The rebuild lifted the pause.
    expect((await sale.grab(id, 'kim')).ok).toBe(true);
  });
});
