import type { OrderStore } from '@couponkill/orders';
import { couponKeys, type GrabRecord, type Sale } from '@couponkill/sale';

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

/** What the clients of a sale were told, per user and per Idempotency-Key. */
export interface AnsweredFacts {
  readonly couponId: string;
  readonly perUserLimit: number;
  /** The coupon's total as the books have it at the end (it follows the admin's changes). */
  readonly totalStock: number;
  /** Per user: the distinct grab ids answered 202. */
  readonly answered: ReadonlyMap<string, ReadonlySet<string>>;
  /** Per Idempotency-Key: the distinct grab ids answered 202 for it. */
  readonly keyGrabIds: ReadonlyMap<string, ReadonlySet<string>>;
}

export interface BooksReport {
  /** Units sold or still on sale beyond the total: live orders + stock left − total, if positive. */
  readonly oversell: number;
  readonly overLimit: number;
  /** Grabs answered 202 with neither an order nor a visible FAILED (with its unit given back). */
  readonly lost: number;
  /** Orders beyond the first for one grab, plus units beyond the first answered for one key. */
  readonly duplicate: number;
  /** Units neither in stock nor held by a live order. */
  readonly stranded: number;
  /**
   * Answers that contradict the books: units taken for a user (orders, and grabs shown FAILED
   * with compensation) under grab ids that user was never answered 202 for, plus 202s that never
   * became an order or a visible FAILED.
   */
  readonly lied: number;
  readonly orders: number;
  readonly liveOrders: number;
  readonly compensated: number;
  readonly stockLeft: number | undefined;
  /** Grab records of the coupon still QUEUED. */
  readonly queued: number;
  /** Up to a few examples per non-zero counter, for the report. */
  readonly examples: readonly string[];
  readonly line: string;
}

/** Every grab record of a coupon in Redis (SCAN over its hash-tagged keys). */
async function grabRecordsOf(sale: Sale, couponId: string): Promise<GrabRecord[]> {
  const prefix = couponKeys(couponId).grab('');
  const ids: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await sale.redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    ids.push(...keys.map((k) => k.slice(prefix.length)));
  } while (cursor !== '0');
  const records = await Promise.all(ids.map((id) => sale.record(id)));
  return records.filter((r): r is GrabRecord => r !== undefined);
}

/**
 * The books of a sale that ran under faults, judged against what its clients were told: from
 * MySQL (orders), Redis (stock, grab records) and the answers only — never from what the load
 * generator believes happened.
 */
export async function checkBooks(facts: AnsweredFacts, orders: OrderStore, sale: Sale): Promise<BooksReport> {
  const all = await orders.allForCoupon(facts.couponId);
  const live = all.filter((o) => o.status === 'UNUSED' || o.status === 'USED');
  const stockLeft = await sale.stockLeft(facts.couponId);
  const records = await grabRecordsOf(sale, facts.couponId);
  const examples: string[] = [];
  const example = (line: string) => {
    if (examples.length < 12) examples.push(line);
  };

  const oversell = Math.max(0, live.length + Math.max(0, stockLeft ?? 0) - facts.totalStock);
  if (oversell > 0) {
    example(`oversell: ${live.length} live orders + ${stockLeft ?? 'no'} stock left > total ${facts.totalStock}`);
  }
  const perUser = new Map<string, number>();
  for (const o of live) perUser.set(o.userId, (perUser.get(o.userId) ?? 0) + 1);
  const overUsers = [...perUser].filter(([, n]) => n > facts.perUserLimit);
  for (const [user, n] of overUsers.slice(0, 3)) example(`over_limit: ${user} holds ${n} > ${facts.perUserLimit}`);

  const byGrab = new Map<string, number>();
  for (const o of all) byGrab.set(o.grabId, (byGrab.get(o.grabId) ?? 0) + 1);
  let duplicate = [...byGrab.values()].reduce((sum, n) => sum + (n - 1), 0);
  for (const [key, grabIds] of facts.keyGrabIds) {
    if (grabIds.size <= 1) continue;
    duplicate += grabIds.size - 1;
    example(`duplicate: key ${key} answered 202 with ${grabIds.size} grab ids`);
  }

  const recordOf = new Map(records.map((r) => [r.grabId, r]));
  const compensatedRecord = (r: GrabRecord | undefined) => r?.status === 'FAILED' && r.reason !== undefined;
  let compensated = 0;
  let lost = 0;
  for (const grabIds of facts.answered.values()) {
    for (const grabId of grabIds) {
      if (byGrab.has(grabId)) continue;
      const record = recordOf.get(grabId) ?? (await sale.record(grabId));
      if (compensatedRecord(record)) compensated += 1;
      else {
        lost += 1;
        example(`lost: ${grabId} answered 202, no order, record ${record?.status ?? 'missing'}`);
      }
    }
  }

  // Units taken per user: the grab ids of their orders and of their compensated grabs.
  const taken = new Map<string, Set<string>>();
  const take = (userId: string, grabId: string) => taken.set(userId, (taken.get(userId) ?? new Set()).add(grabId));
  for (const o of all) take(o.userId, o.grabId);
  for (const r of records) if (compensatedRecord(r)) take(r.userId, r.grabId);
  let unanswered = 0;
  for (const [userId, grabIds] of taken) {
    const told = facts.answered.get(userId) ?? new Set<string>();
    for (const grabId of grabIds) {
      if (told.has(grabId)) continue;
      unanswered += 1;
      example(`lied: ${userId} took ${grabId} but was never answered 202 for it`);
    }
  }
  const lied = unanswered + lost;

  const queued = records.filter((r) => r.status === 'QUEUED').length;
  const stranded = Math.max(0, facts.totalStock - Math.max(0, stockLeft ?? 0) - live.length);
  if (stranded > 0) {
    example(
      `stranded: total ${facts.totalStock} − stock left ${stockLeft ?? 'none'} − live ${live.length} (QUEUED ${queued})`,
    );
  }
  const line =
    `oversell=${oversell} over_limit=${overUsers.length} lost=${lost} duplicate=${duplicate} ` +
    `stranded=${stranded} lied=${lied}`;
  return {
    oversell,
    overLimit: overUsers.length,
    lost,
    duplicate,
    stranded,
    lied,
    orders: all.length,
    liveOrders: live.length,
    compensated,
    stockLeft,
    queued,
    examples,
    line,
  };
}
