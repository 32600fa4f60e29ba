import { auditCoupon, type AuditDeps } from '@couponkill/audit';
import { type Coupon, type CouponPatch, type CouponStore, type NewCoupon, toSaleSettings } from '@couponkill/coupons';
import type { OrderStore } from '@couponkill/orders';
import type { Sale } from '@couponkill/sale';
import type { SaleCounters, SaleParameters } from './lifecycle.js';
import type { AuditSummary } from './types.js';

/** A failure no retry fixes (the coupon does not exist): the sale goes to Failed with `reason`. */
export class PermanentError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/** A spec edit the data refuses (stock below sold): the last accepted state stays in effect. */
export class SpecRejected extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The data side of a sale, the same in the cluster and in `make dev`: the coupon and its sale
 * state (written the way coupon-admin writes them: the row locked, Redis PREHEAT inside, MySQL
 * committed after), the live counters, and the audit (shared/audit) at the end.
 */
export class SaleBackend {
  constructor(
    readonly deps: {
      readonly coupons: CouponStore;
      readonly orders: OrderStore;
      readonly sale: Sale;
      /** The order worker's consumer lag on the grab topic. */
      readonly consumerLag: () => Promise<number>;
    },
  ) {}

  /** Creates the inline coupon (under the id recorded in status) or updates the referenced one, then preheats. */
  async prepareCoupon(p: SaleParameters): Promise<Coupon> {
    const { coupons } = this.deps;
    const patch: CouponPatch = {
      totalStock: p.spec.stock,
      perUserLimit: p.spec.perUserLimit,
      startAt: new Date(p.window.start).toISOString(),
      endAt: new Date(p.window.end).toISOString(),
      status: 'active',
    };
    const existing = await coupons.get(p.couponId);
    if (existing === undefined) {
      const inline = p.spec.coupon.inline;
      if (inline === undefined) {
        throw new PermanentError('CouponNotFound', `coupon ${p.couponId} does not exist (spec.coupon.ref)`);
      }
      const input: NewCoupon = {
        name: inline.name,
        type: 'seckill',
        faceValueCents: inline.faceValue,
        minSpendCents: inline.minSpend,
        validDays: inline.validDays,
        perUserLimit: p.spec.perUserLimit,
        totalStock: p.spec.stock,
        startAt: patch.startAt ?? null,
        endAt: patch.endAt ?? null,
        status: 'active',
      };
      return coupons.create(input, (created) => this.#preheat(created), p.couponId);
    }
    if (existing.type !== 'seckill') {
      throw new PermanentError(
        'NotASeckillCoupon',
        `coupon ${p.couponId} is a ${existing.type} coupon, not a seckill one`,
      );
    }
    const updated = await coupons.update(p.couponId, patch, (next) => this.#preheat(next));
    if (updated === undefined) throw new PermanentError('CouponNotFound', `coupon ${p.couponId} was deleted`);
    return updated;
  }

  async #preheat(coupon: Coupon): Promise<void> {
    const outcome = await this.deps.sale.preheat(coupon.id, toSaleSettings(coupon), async () => {
      const counts = await this.deps.orders.countByStatus(coupon.id);
      return counts.UNUSED + counts.USED;
    });
    if ('belowSold' in outcome) {
      throw new SpecRejected(
        'StockBelowSold',
        `${outcome.belowSold} units are already taken; stock cannot go below ${outcome.belowSold}`,
      );
    }
    if ('needsAudit' in outcome) {
      // Not permanent: the audit (which the operator runs) rebuilds the state from the orders.
      throw new Error(
        `coupon ${coupon.id} has ${outcome.needsAudit} orders but no sale state in Redis; audit it first`,
      );
    }
  }

  /** Sold and remaining from Redis, durable orders from MySQL, in flight from the outbox and Kafka. */
  async counters(couponId: string, stock: number): Promise<SaleCounters | undefined> {
    const { sale, orders } = this.deps;
    const [stockLeft, byStatus, outbox, lag] = await Promise.all([
      sale.stockLeft(couponId),
      orders.countByStatus(couponId),
      sale.outboxLength(couponId),
      this.deps.consumerLag(),
    ]);
    if (stockLeft === undefined) return undefined; // not preheated yet
    const ordersDurable = byStatus.UNUSED + byStatus.USED;
    return { sold: Math.max(0, stock - stockLeft), remaining: stockLeft, ordersDurable, lag, outbox };
  }

  /** Runs the audit (repairing when it is safe); refuses to report while grabs are in flight. */
  async audit(couponId: string): Promise<{ summary: AuditSummary; counters: Omit<SaleCounters, 'lag' | 'outbox'> }> {
    const deps: AuditDeps = this.deps;
    const report = await auditCoupon(deps, couponId, { repair: true });
    if (report.verdict === 'NOT_FOUND')
      throw new PermanentError('CouponNotFound', `coupon ${couponId} vanished before the audit`);
    if (report.verdict === 'IN_FLIGHT') throw new Error('grabs are still in flight; auditing again shortly');
    const stockLeft = report.repaired ? report.redis.expectedStockLeft : (report.redis.stockLeft ?? 0);
    return {
      summary: {
        verdict: report.verdict,
        totalStock: report.totalStock,
        liveOrders: report.liveOrders,
        stockLeft,
        userMismatches: report.userMismatches,
        repaired: report.repaired,
        actions: [...report.actions],
      },
      counters: { sold: report.totalStock - stockLeft, remaining: stockLeft, ordersDurable: report.liveOrders },
    };
  }
}
