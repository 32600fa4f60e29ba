/**
 * Redis keys of one coupon. The `{c:<id>}` hash tag puts all of them in one slot, so every
 * script below touches a single slot and runs unchanged on Redis Cluster.
 */
export function couponKeys(couponId: string): CouponKeys {
  let keys = known.get(couponId);
  if (keys === undefined) {
    if (known.size >= MAX_KNOWN) known.clear();
    keys = Object.freeze(keysOf(couponId));
    known.set(couponId, keys);
  }
  return keys;
}

export type CouponKeys = Readonly<ReturnType<typeof keysOf>>;

/** Each grab asks for its coupon's keys; a sale has few coupons, so they are built once. */
const known = new Map<string, CouponKeys>();
const MAX_KNOWN = 4096;

function keysOf(couponId: string) {
  const tag = `ck:{c:${couponId}}`;
  return {
    /** hash: status, type, limit, start_ms, end_ms, total; ver (bumped by every change of stock, holders or QUEUED count), paused_until */
    meta: `${tag}:meta`,
    /** integer: units left to grab */
    stock: `${tag}:stock`,
    /** hash: userId → coupons held now (the per-user limit applies to this) */
    holders: `${tag}:holders`,
    /** hash: userId → grabs ever accepted (gives each order a unique sequence number) */
    seqs: `${tag}:seqs`,
    /** stream: accepted grabs waiting to be published to Kafka */
    outbox: `${tag}:outbox`,
    /** integer: accepted grabs not yet settled (QUEUED: no order written, not compensated) */
    queued: `${tag}:queued`,
    /**
     * hash: grabId → JSON of a dead-lettered grab (its grab.accepted data, reason, deadLetteredAt):
     * it holds its unit until re-driven or compensated
     */
    dead: `${tag}:dead`,
    /**
     * hash per grab: userId, status, seq, acceptedAt, orderId | reason. No expiry while QUEUED;
     * status VOID marks an attempt whose caller was told nothing was taken (see FENCE).
     */
    grab: (grabId: string) => `${tag}:grab:${grabId}`,
    /**
     * Flow-control token buckets (GCRA arrival time, ms; expire once full again): the coupon's
     * grabs, one user's grabs of it, one client address's grabs of it. Only written when a
     * flow rule applies (see shared/flow).
     */
    flowCoupon: `${tag}:flow:coupon`,
    flowUser: (userId: string) => `${tag}:flow:user:${userId}`,
    flowIp: (ip: string) => `${tag}:flow:ip:${ip}`,
  };
}

/** Every coupon whose outbox the relay must drain (written at preheat, outside the grab path). */
export const OUTBOX_REGISTRY = 'ck:outboxes';

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** A grab id carries its coupon id, so a result can be found from the grab id alone. */
export function grabIdOf(couponId: string, unique: string): string {
  return `${couponId}_${unique}`;
}

export function couponOfGrab(grabId: string): string | undefined {
  const [couponId, unique, ...rest] = grabId.split('_');
  return rest.length === 0 && couponId !== undefined && unique !== undefined && ULID.test(couponId) && ULID.test(unique)
    ? couponId
    : undefined;
}

export function isCouponId(value: string): boolean {
  return ULID.test(value);
}
