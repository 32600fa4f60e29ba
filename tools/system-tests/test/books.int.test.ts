import { type AuditDeps, auditCoupon } from '@couponkill/audit';
import { newEvent, grabAccepted, toHttp } from '@couponkill/events';
import { couponKeys } from '@couponkill/sale';
import { endpoints } from '@couponkill/testkit';
import { describe, expect, it } from 'vitest';
import { fireGrabs } from '../src/grab-load.js';
import { checkInvariants } from '../src/invariants.js';
import { pressingUsers, settle } from '../src/sale-load.js';
import { SaleRig } from '../src/sale-rig.js';

// Repairs and redeliveries racing a live sale: the books stay exact.
describe('the books under repairs and replays', () => {
  const depsOf = (rig: SaleRig): AuditDeps => ({
    coupons: rig.coupons,
    orders: rig.orders,
    sale: rig.sale,
    consumerLag: async () => 0,
  });

  it('an audit repairing mid-sale pauses the grabs, waits for them, and never oversells', async () => {
    const rig = await new SaleRig(endpoints()).start();
    try {
      const coupon = await rig.coupon({ totalStock: 300 });
      // Drift to repair: a user Redis believes holds a unit MySQL knows nothing of.
      await rig.redis.hset(couponKeys(coupon.id).holders, 'ghost', 1);
      const users = await pressingUsers(rig, 'r', 300, 2);
      const load = fireGrabs(rig.grabUrl, coupon.id, users, 32);
      const repairs = [];
      for (let i = 0; i < 3; i++) {
        await new Promise((resolve) => setTimeout(resolve, 150));
        repairs.push(await auditCoupon(depsOf(rig), coupon.id, { repair: true, pauseMs: 3000, drainMs: 3000 }));
      }
      const result = await load;
      await settle(rig, result.acceptedGrabIds);
      const report = await checkInvariants(
        { couponId: coupon.id, initialStock: 300, perUserLimit: 2, acceptedGrabIds: result.acceptedGrabIds },
        rig.orders,
        rig.sale,
      );
      console.info(`audit mid-sale: ${report.line}; repairs ${repairs.map((r) => r.verdict).join(',')}`);
      expect(report).toMatchObject({ oversell: 0, overLimit: 0, lost: 0, duplicate: 0, stranded: 0 });
      expect(repairs.some((r) => r.repaired)).toBe(true);
      // Paused grabs were told 503, never 500.
      expect(result.statuses[500] ?? 0).toBe(0);
      expect(await rig.redis.hget(couponKeys(coupon.id).holders, 'ghost')).toBeNull();
      const final = await auditCoupon(depsOf(rig), coupon.id, { repair: false });
      expect(final.verdict).toBe('CONSISTENT');
    } finally {
      await rig.stop();
    }
  }, 120_000);

  it('a dead-lettered grab keeps its unit through a repair, and a late replay of a compensated one writes nothing', async () => {
    const rig = await new SaleRig(endpoints()).start();
    try {
      const coupon = await rig.coupon({ totalStock: 10 });
      await rig.relay.stop(); // this grab's event is "dead-lettered" by hand below
      const grab = await rig.sale.grab(coupon.id, 'dlq-user');
      if (!grab.ok) throw new Error('grab refused');
      const k = couponKeys(coupon.id);
      await rig.redis.del(k.outbox);
      const data = {
        grabId: grab.grabId,
        couponId: coupon.id,
        userId: 'dlq-user',
        seq: grab.seq,
        acceptedAt: grab.acceptedAt,
      };
      await rig.redis.hset(k.dead, grab.grabId, JSON.stringify(data));
      await rig.redis.hset(k.holders, 'ghost', 1);
      const repaired = await auditCoupon(depsOf(rig), coupon.id, { repair: true, drainMs: 500 });
      expect(repaired).toMatchObject({ repaired: true, inFlight: { deadLetters: 1, queued: 1 } });
      expect(await rig.sale.stockLeft(coupon.id)).toBe(9);
      expect(await rig.redis.hget(k.holders, 'dlq-user')).toBe('1');

      // Compensated (what a re-drive in compensate mode does), then the event shows up after all.
      expect(
        await rig.sale.release(grab.grabId, 'dlq-user', { from: 'QUEUED', to: 'FAILED', reason: 'DEAD_LETTERED' }),
      ).toBe(true);
      await rig.redis.hdel(k.dead, grab.grabId);
      const late = await deliver(rig, data);
      expect(late).toMatchObject({ status: 'FAILED', reason: 'DEAD_LETTERED' });
      expect(await rig.orders.allForCoupon(coupon.id)).toHaveLength(0);
      expect(await rig.sale.stockLeft(coupon.id)).toBe(10);
    } finally {
      await rig.stop();
    }
  }, 120_000);

  it('the order worker refuses an event no grab was accepted for (forged, or voided by the fence)', async () => {
    const rig = await new SaleRig(endpoints()).start();
    try {
      const coupon = await rig.coupon({ totalStock: 10 });
      const forged = {
        grabId: `${coupon.id}_01JCK7R2YV5F8W3D1H0G6T4S2Q`,
        couponId: coupon.id,
        userId: 'mallory',
        seq: 1,
        acceptedAt: Date.now(),
      };
      expect(await deliver(rig, forged)).toMatchObject({ status: 'FAILED', reason: 'UNKNOWN_GRAB' });
      // A real grab, claimed for someone else or with another sequence number.
      await rig.relay.stop();
      const grab = await rig.sale.grab(coupon.id, 'victim');
      if (!grab.ok) throw new Error('grab refused');
      const real = {
        grabId: grab.grabId,
        couponId: coupon.id,
        userId: 'victim',
        seq: grab.seq,
        acceptedAt: grab.acceptedAt,
      };
      expect(await deliver(rig, { ...real, userId: 'mallory' })).toMatchObject({
        status: 'FAILED',
        reason: 'UNKNOWN_GRAB',
      });
      expect(await deliver(rig, { ...real, seq: 7 })).toMatchObject({ status: 'FAILED', reason: 'UNKNOWN_GRAB' });
      expect(await rig.orders.allForCoupon(coupon.id)).toHaveLength(0);
      // The genuine event still becomes its order, once, however often it comes.
      const first = await deliver(rig, real);
      expect(first).toMatchObject({ status: 'SUCCEEDED' });
      expect(await deliver(rig, real)).toEqual(first);
      expect(await rig.orders.allForCoupon(coupon.id)).toHaveLength(1);
    } finally {
      await rig.stop();
    }
  }, 120_000);
});

/** Delivers a grab.accepted event to the rig's order worker as the KafkaSource would. */
async function deliver(
  rig: SaleRig,
  data: { grabId: string; couponId: string; userId: string; seq: number; acceptedAt: number },
): Promise<unknown> {
  const event = newEvent(grabAccepted, { id: data.grabId, source: '/test', subject: data.couponId, data });
  const { headers, body } = toHttp(event);
  const response = await fetch(rig.workerUrl, { method: 'POST', headers, body });
  expect(response.status).toBe(200);
  return response.json();
}
