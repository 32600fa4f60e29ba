import type { CouponStore } from '@couponkill/coupons';
import { toSaleSettings } from '@couponkill/coupons';
import type { OrderStore } from '@couponkill/orders';
import type { Sale } from '@couponkill/sale';

export interface ReconcileDeps {
  readonly coupons: CouponStore;
  readonly orders: OrderStore;
  readonly sale: Sale;
  /** Events accepted but not yet turned into orders (the order worker's consumer lag). */
  readonly consumerLag: () => Promise<number>;
}

export interface ReconcileReport {
  readonly couponId: string;
  readonly verdict: 'CONSISTENT' | 'DRIFT' | 'IN_FLIGHT' | 'NOT_FOUND';
  readonly totalStock: number;
  readonly liveOrders: number;
  readonly ordersByStatus: Record<string, number>;
  readonly redis: { readonly present: boolean; readonly stockLeft: number | null; readonly expectedStockLeft: number };
  readonly inFlight: { readonly outbox: number; readonly consumerLag: number };
  /** Users whose Redis counters disagree with their orders. */
  readonly userMismatches: number;
  readonly repaired: boolean;
  readonly actions: readonly string[];
}

/**
 * Compares a coupon's sale state in Redis with its orders in MySQL, and the outbox and Kafka in
 * between, and — when asked and safe — rebuilds the Redis state from MySQL (the source of truth
 * for what was sold). Safe means nothing is in flight: an accepted grab still in the outbox or
 * in Kafka holds a unit that MySQL does not show yet, so rebuilding then would sell it twice.
 * `force` repairs anyway (for a Redis that lost its data together with the outbox).
 */
export async function reconcileCoupon(
  deps: ReconcileDeps,
  couponId: string,
  options: { repair: boolean; force?: boolean },
): Promise<ReconcileReport> {
  const coupon = await deps.coupons.get(couponId);
  if (coupon === undefined) {
    return {
      couponId,
      verdict: 'NOT_FOUND',
      totalStock: 0,
      liveOrders: 0,
      ordersByStatus: {},
      redis: { present: false, stockLeft: null, expectedStockLeft: 0 },
      inFlight: { outbox: 0, consumerLag: 0 },
      userMismatches: 0,
      repaired: false,
      actions: [],
    };
  }
  const [orders, stockLeft, counters, outbox, consumerLag] = await Promise.all([
    deps.orders.allForCoupon(couponId),
    deps.sale.stockLeft(couponId),
    deps.sale.counters(couponId),
    deps.sale.outboxLength(couponId),
    deps.consumerLag(),
  ]);
  const byStatus: Record<string, number> = {};
  const users = new Map<string, { held: number; seq: number }>();
  for (const order of orders) {
    byStatus[order.status] = (byStatus[order.status] ?? 0) + 1;
    const user = users.get(order.userId) ?? { held: 0, seq: 0 };
    if (order.status === 'UNUSED' || order.status === 'USED') user.held += 1;
    user.seq = Math.max(user.seq, order.seq);
    users.set(order.userId, user);
  }
  const live = orders.filter((o) => o.status === 'UNUSED' || o.status === 'USED').length;
  const expectedStockLeft = Math.max(0, coupon.totalStock - live);
  let userMismatches = 0;
  for (const [userId, want] of users) {
    if ((counters.holders.get(userId) ?? 0) !== want.held || (counters.seqs.get(userId) ?? 0) < want.seq)
      userMismatches += 1;
  }
  for (const [userId, held] of counters.holders) if (held > 0 && !users.has(userId)) userMismatches += 1;

  const consistent = stockLeft === expectedStockLeft && userMismatches === 0;
  const inFlight = outbox > 0 || consumerLag > 0;
  const verdict = consistent ? 'CONSISTENT' : inFlight ? 'IN_FLIGHT' : 'DRIFT';
  const actions: string[] = [];
  let repaired = false;
  if (options.repair && !consistent && (!inFlight || options.force === true)) {
    await deps.sale.restore(couponId, toSaleSettings(coupon), {
      stockLeft: expectedStockLeft,
      users: [...users].map(([userId, u]) => ({
        userId,
        held: u.held,
        seq: Math.max(u.seq, counters.seqs.get(userId) ?? 0),
      })),
    });
    repaired = true;
    actions.push(
      `rebuilt the sale state from ${orders.length} orders: ${expectedStockLeft} units left, ${users.size} users`,
    );
  } else if (!consistent) {
    actions.push(
      inFlight
        ? 'not repaired: grabs are still in flight (run again when the outbox and the lag are empty)'
        : 'not repaired (dry run)',
    );
  }
  return {
    couponId,
    verdict,
    totalStock: coupon.totalStock,
    liveOrders: live,
    ordersByStatus: byStatus,
    redis: { present: stockLeft !== undefined, stockLeft: stockLeft ?? null, expectedStockLeft },
    inFlight: { outbox, consumerLag },
    userMismatches,
    repaired,
    actions,
  };
}
