import type { OrderStore } from '@couponkill/orders';
import type { Sale } from '@couponkill/sale';

export interface SaleFacts {
  readonly couponId: string;
  readonly initialStock: number;
  readonly perUserLimit: number;
  /** Grab ids the system answered 202 (accepted) for. */
  readonly acceptedGrabIds: readonly string[];
}

export interface InvariantReport {
  /** Orders holding a unit beyond the stock. */
  readonly oversell: number;
  /** Users holding more live orders than the limit. */
  readonly overLimit: number;
  /** Accepted grabs with neither an order nor a recorded compensation. */
  readonly lost: number;
  /** Orders beyond the first for one grab. */
  readonly duplicate: number;
  /** Units neither in stock nor held by a live order (taken and never given back). */
  readonly stranded: number;
  readonly orders: number;
  readonly compensated: number;
  readonly stockLeft: number;
  readonly line: string;
}

/**
 * The invariants every sale must end with, computed from MySQL (the orders) and Redis (stock and
 * grab records) — never from what the load generator believes:
 * sold ≤ stock, orders per user ≤ limit, accepted = orders + compensated, stock left + live
 * orders = initial stock, one order per grab.
 */
export async function checkInvariants(facts: SaleFacts, orders: OrderStore, sale: Sale): Promise<InvariantReport> {
  const all = await orders.allForCoupon(facts.couponId);
  const live = all.filter((o) => o.status === 'UNUSED' || o.status === 'USED');
  const stockLeft = (await sale.stockLeft(facts.couponId)) ?? 0;

  const perUser = new Map<string, number>();
  for (const o of live) perUser.set(o.userId, (perUser.get(o.userId) ?? 0) + 1);
  const overLimit = [...perUser.values()].filter((n) => n > facts.perUserLimit).length;

  const byGrab = new Map<string, number>();
  for (const o of all) byGrab.set(o.grabId, (byGrab.get(o.grabId) ?? 0) + 1);
  const duplicate = [...byGrab.values()].reduce((sum, n) => sum + (n - 1), 0);

  let compensated = 0;
  let lost = 0;
  for (const grabId of facts.acceptedGrabIds) {
    if (byGrab.has(grabId)) continue;
    const record = await sale.record(grabId);
    if (record?.status === 'FAILED') compensated += 1;
    else lost += 1;
  }
  const oversell = Math.max(0, live.length - facts.initialStock);
  const stranded = Math.max(0, facts.initialStock - stockLeft - live.length);
  const line = `oversell=${oversell} over_limit=${overLimit} lost=${lost} duplicate=${duplicate} stranded=${stranded}`;
  return { oversell, overLimit, lost, duplicate, stranded, orders: all.length, compensated, stockLeft, line };
}
