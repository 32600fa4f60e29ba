import type { Coupon, CouponStore } from '@couponkill/coupons';
import { toSaleSettings } from '@couponkill/coupons';
import type { Order, OrderStore } from '@couponkill/orders';
import type { Sale } from '@couponkill/sale';

export interface AuditDeps {
  readonly coupons: CouponStore;
  readonly orders: OrderStore;
  readonly sale: Sale;
  /** Events accepted but not yet turned into orders (the order worker's consumer lag). */
  readonly consumerLag: () => Promise<number>;
}

export interface AuditOptions {
  readonly repair: boolean;
  /** Repair even while grabs are in flight (for a Redis that lost them together with the outbox). */
  readonly force?: boolean;
  /** How long grabs of the coupon are held (503 PAUSED) while the state is rebuilt. */
  readonly pauseMs?: number;
  /** How long to wait, paused, for accepted grabs to become orders before giving up. */
  readonly drainMs?: number;
}

export interface AuditReport {
  readonly couponId: string;
  readonly verdict: 'CONSISTENT' | 'DRIFT' | 'IN_FLIGHT' | 'NOT_FOUND';
  readonly totalStock: number;
  readonly liveOrders: number;
  readonly ordersByStatus: Record<string, number>;
  readonly redis: { readonly present: boolean; readonly stockLeft: number | null; readonly expectedStockLeft: number };
  readonly inFlight: {
    readonly outbox: number;
    readonly consumerLag: number;
    /** Accepted grabs with neither an order nor a compensation yet (dead letters included). */
    readonly queued: number;
    /** Dead-lettered grabs: they hold their unit until re-driven or compensated. */
    readonly deadLetters: number;
  };
  /** Users whose Redis counters disagree with their orders. */
  readonly userMismatches: number;
  readonly repaired: boolean;
  readonly actions: readonly string[];
}

/** What the books say right now, from MySQL and Redis. */
interface Snapshot {
  readonly orders: Order[];
  readonly live: number;
  readonly byStatus: Record<string, number>;
  readonly users: Map<string, { held: number; seq: number }>;
  readonly stockLeft: number | undefined;
  readonly seqs: Map<string, number>;
  readonly expectedStockLeft: number;
  readonly userMismatches: number;
  readonly outbox: number;
  readonly consumerLag: number;
  readonly queued: number;
  readonly deadLetters: number;
}

const LIVE = new Set(['UNUSED', 'USED']);
const MAX_ROUNDS = 5;

async function snapshot(deps: AuditDeps, coupon: Coupon): Promise<Snapshot> {
  const couponId = coupon.id;
  const [orders, stockLeft, counters, outbox, consumerLag, queued, dead] = await Promise.all([
    deps.orders.allForCoupon(couponId),
    deps.sale.stockLeft(couponId),
    deps.sale.counters(couponId),
    deps.sale.outboxLength(couponId),
    deps.consumerLag(),
    deps.sale.queuedCount(couponId),
    deps.sale.deadLetters(couponId),
  ]);
  const byStatus: Record<string, number> = {};
  const users = new Map<string, { held: number; seq: number }>();
  for (const order of orders) {
    byStatus[order.status] = (byStatus[order.status] ?? 0) + 1;
    const user = users.get(order.userId) ?? { held: 0, seq: 0 };
    if (LIVE.has(order.status)) user.held += 1;
    user.seq = Math.max(user.seq, order.seq);
    users.set(order.userId, user);
  }
  // A dead-lettered grab holds its unit and its owner's slot until it is re-driven or compensated.
  for (const { userId } of dead) {
    if (userId === '') continue;
    const user = users.get(userId) ?? { held: 0, seq: 0 };
    user.held += 1;
    users.set(userId, user);
  }
  const live = orders.filter((o) => LIVE.has(o.status)).length;
  // Every QUEUED grab (dead letters among them) holds a unit that MySQL does not show yet.
  const expectedStockLeft = Math.max(0, coupon.totalStock - live - Math.max(queued, dead.length));
  let userMismatches = 0;
  for (const [userId, want] of users) {
    if ((counters.holders.get(userId) ?? 0) !== want.held || (counters.seqs.get(userId) ?? 0) < want.seq)
      userMismatches += 1;
  }
  for (const [userId, held] of counters.holders) if (held > 0 && !users.has(userId)) userMismatches += 1;
  return {
    orders,
    live,
    byStatus,
    users,
    stockLeft,
    seqs: counters.seqs,
    expectedStockLeft,
    userMismatches,
    outbox,
    consumerLag,
    queued,
    deadLetters: dead.length,
  };
}

/** Grabs accepted and not yet settled, other than dead letters (which are counted as held). */
const inFlight = (s: Snapshot) => s.outbox > 0 || s.consumerLag > 0 || s.queued > s.deadLetters;

/**
 * Compares a coupon's sale state in Redis with its orders in MySQL, and the outbox, Kafka and
 * dead letters in between, and — when asked and safe — rebuilds the Redis state from MySQL (the
 * source of truth for what was sold).
 *
 * The rebuild never races the sale: the coupon's grabs are paused (answered 503 PAUSED), accepted
 * grabs are given `drainMs` to become orders, releases of cancelled or expired orders that have
 * not reached Redis yet are completed, and the state is replaced only if its version did not move
 * since it was read (compare-and-set; a grab, release or order mark moves it) — otherwise it
 * reads again. Dead-lettered grabs keep their units. `force` rebuilds without waiting for
 * in-flight grabs (for a Redis that lost them together with the outbox).
 */
export async function auditCoupon(deps: AuditDeps, couponId: string, options: AuditOptions): Promise<AuditReport> {
  const coupon = await deps.coupons.get(couponId);
  if (coupon === undefined) {
    return {
      couponId,
      verdict: 'NOT_FOUND',
      totalStock: 0,
      liveOrders: 0,
      ordersByStatus: {},
      redis: { present: false, stockLeft: null, expectedStockLeft: 0 },
      inFlight: { outbox: 0, consumerLag: 0, queued: 0, deadLetters: 0 },
      userMismatches: 0,
      repaired: false,
      actions: [],
    };
  }
  let s = await snapshot(deps, coupon);
  const consistent = (x: Snapshot) => x.stockLeft === x.expectedStockLeft && x.userMismatches === 0;
  const actions: string[] = [];
  let repaired = false;
  if (options.repair && !consistent(s)) {
    const pauseMs = options.pauseMs ?? 10_000;
    const drainMs = options.drainMs ?? 5_000;
    try {
      for (let round = 1; round <= MAX_ROUNDS && !repaired; round++) {
        const version = await deps.sale.pause(couponId, pauseMs);
        if (options.force !== true) {
          s = await drained(deps, coupon, drainMs);
          if (inFlight(s)) {
            actions.push(
              'not repaired: grabs are still in flight (run again when the outbox, the lag and the queued grabs are empty)',
            );
            break;
          }
        } else {
          s = await snapshot(deps, coupon);
        }
        if (consistent(s)) break;
        // A cancelled or expired order whose unit has not gone back yet: give it back now, so the
        // release cannot come after the rebuild (which already counts the unit as free) and add it twice.
        const pending = s.orders.filter((o) => !LIVE.has(o.status));
        const released = await Promise.all(
          pending.map((o) =>
            deps.sale.release(o.grabId, o.userId, {
              from: 'SUCCEEDED',
              to: 'CANCELLED',
              reason: o.status === 'EXPIRED' ? 'EXPIRED' : 'CANCELLED_BY_USER',
              orderId: o.id,
            }),
          ),
        );
        if (released.some(Boolean)) continue; // the version moved: read again
        repaired = await deps.sale.restore(
          couponId,
          toSaleSettings(coupon),
          {
            stockLeft: s.expectedStockLeft,
            users: [...s.users].map(([userId, u]) => ({
              userId,
              held: u.held,
              seq: Math.max(u.seq, s.seqs.get(userId) ?? 0),
            })),
          },
          version,
        );
      }
      if (repaired) {
        actions.push(
          `rebuilt the sale state from ${s.orders.length} orders and ${s.deadLetters} dead letters: ` +
            `${s.expectedStockLeft} units left, ${s.users.size} users`,
        );
      } else if (!consistent(s) && actions.length === 0) {
        actions.push('not repaired: the sale state kept changing; run again');
      }
    } finally {
      // restore lifts the pause itself; any other way out lifts it here.
      if (!repaired) await deps.sale.pause(couponId, 0);
    }
  } else if (!consistent(s)) {
    actions.push(
      inFlight(s)
        ? 'not repaired: grabs are still in flight (run again when the outbox and the lag are empty)'
        : 'not repaired (dry run)',
    );
  }
  const verdict = consistent(s) ? 'CONSISTENT' : repaired ? 'DRIFT' : inFlight(s) ? 'IN_FLIGHT' : 'DRIFT';
  return {
    couponId,
    verdict,
    totalStock: coupon.totalStock,
    liveOrders: s.live,
    ordersByStatus: s.byStatus,
    redis: {
      present: s.stockLeft !== undefined,
      stockLeft: s.stockLeft ?? null,
      expectedStockLeft: s.expectedStockLeft,
    },
    inFlight: { outbox: s.outbox, consumerLag: s.consumerLag, queued: s.queued, deadLetters: s.deadLetters },
    userMismatches: s.userMismatches,
    repaired,
    actions,
  };
}

/** Snapshots until nothing but dead letters is in flight, or `drainMs` has passed. */
async function drained(deps: AuditDeps, coupon: Coupon, drainMs: number): Promise<Snapshot> {
  const deadline = Date.now() + drainMs;
  for (;;) {
    const s = await snapshot(deps, coupon);
    if (!inFlight(s) || Date.now() >= deadline) return s;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
