import { defineScripts, type RedisClient, type TokenBucket } from '@couponkill/redis';
import { ulid } from 'ulid';
import { couponKeys, couponOfGrab, grabIdOf, OUTBOX_REGISTRY } from './keys.js';
import { GRAB, PREHEAT, RELEASE, RESTORE, SUCCEED } from './scripts.js';

/** What the sale of one coupon looks like in Redis. Times are epoch ms; 0 = no bound. */
export interface SaleSettings {
  readonly status: 'active' | 'inactive';
  readonly type: 'seckill' | 'normal';
  readonly perUserLimit: number;
  readonly startMs: number;
  readonly endMs: number;
  readonly totalStock: number;
}

export type GrabRefusal =
  'NOT_FOUND' | 'INACTIVE' | 'NOT_STARTED' | 'ENDED' | 'LIMIT_REACHED' | 'SOLD_OUT' | 'RATE_LIMITED';

/**
 * The flow-control buckets that apply to one grab (absent = no rule for that dimension), kept in
 * the coupon's hash slot, so they are decided inside the grab script in the same round trip.
 */
export interface GrabFlow {
  /** The client address the per-address bucket is counted for. */
  readonly clientIp: string;
  readonly coupon?: TokenBucket | undefined;
  readonly user?: TokenBucket | undefined;
  readonly ip?: TokenBucket | undefined;
}

/** Milliseconds until each bucket has a token again (0 = it had one, or no rule). */
export interface FlowWaits {
  readonly coupon: number;
  readonly user: number;
  readonly ip: number;
}

export type GrabOutcome =
  | {
      readonly ok: true;
      readonly grabId: string;
      readonly seq: number;
      readonly acceptedAt: number;
      readonly stockLeft: number;
    }
  | { readonly ok: false; readonly refusal: 'RATE_LIMITED'; readonly waitMs: FlowWaits }
  | {
      readonly ok: false;
      readonly refusal: Exclude<GrabRefusal, 'RATE_LIMITED'>;
      readonly startsInMs?: number;
    };

export type GrabStatus = 'QUEUED' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

export interface GrabRecord {
  readonly grabId: string;
  readonly couponId: string;
  readonly userId: string;
  readonly status: GrabStatus;
  readonly seq: number;
  readonly acceptedAt: number;
  readonly orderId?: string;
  readonly reason?: string;
}

export interface SaleOptions {
  /** How long a grab's result stays readable. */
  readonly recordTtlMs?: number;
  /** Approximate cap of each outbox stream (entries are deleted once published anyway). */
  readonly outboxMaxLength?: number;
  /** The set of coupons with an outbox (one per deployment; tests use their own). */
  readonly outboxRegistry?: string;
}

/** The sale state of every coupon, in Redis; each method is one atomic script or command. */
export class Sale {
  readonly #redis: RedisClient;
  readonly #ttlMs: number;
  readonly #outboxMax: number;
  readonly #registry: string;
  readonly #scripts;

  constructor(redis: RedisClient, options: SaleOptions = {}) {
    this.#redis = redis;
    this.#ttlMs = options.recordTtlMs ?? 24 * 3600 * 1000;
    this.#outboxMax = options.outboxMaxLength ?? 1_000_000;
    this.#registry = options.outboxRegistry ?? OUTBOX_REGISTRY;
    this.#scripts = defineScripts(redis, {
      grab: GRAB,
      release: RELEASE,
      succeed: SUCCEED,
      preheat: PREHEAT,
      restore: RESTORE,
    });
  }

  get redis(): RedisClient {
    return this.#redis;
  }

  /**
   * Writes a coupon's sale state (on create, update and preheat). The first call sets the stock;
   * later ones move it by the change of the total, and refuse a total below what is already taken.
   */
  async preheat(
    couponId: string,
    s: SaleSettings,
  ): Promise<{ readonly stockLeft: number } | { readonly belowSold: number }> {
    const k = couponKeys(couponId);
    const [outcome, value] = (await this.#scripts.preheat(
      [k.meta, k.stock],
      [s.status, s.type, s.perUserLimit, s.startMs, s.endMs, s.totalStock],
    )) as [string, number];
    if (outcome === 'BELOW_SOLD') return { belowSold: value };
    await this.#redis.sadd(this.#registry, couponId);
    return { stockLeft: value };
  }

  /**
   * Decides one grab: all checks and, if it wins, stock, holder count, outbox and record at once.
   * The caller's W3C `traceparent` travels with the intent, so the order is traced to the request.
   * With `flow`, the grab also needs a token from each of its buckets (RATE_LIMITED otherwise).
   */
  async grab(couponId: string, userId: string, traceparent = '', flow?: GrabFlow): Promise<GrabOutcome> {
    const k = couponKeys(couponId);
    const grabId = grabIdOf(couponId, ulid());
    const [outcome, a, b, c] = (await this.#scripts.grab(
      [
        k.meta,
        k.stock,
        k.holders,
        k.seqs,
        k.outbox,
        k.grab(grabId),
        k.flowCoupon,
        k.flowUser(userId),
        k.flowIp(flow?.clientIp ?? ''),
      ],
      [
        userId,
        grabId,
        this.#ttlMs,
        this.#outboxMax,
        traceparent,
        flow?.coupon?.ratePerSecond ?? 0,
        flow?.coupon?.burst ?? 0,
        flow?.user?.ratePerSecond ?? 0,
        flow?.user?.burst ?? 0,
        flow?.ip?.ratePerSecond ?? 0,
        flow?.ip?.burst ?? 0,
      ],
    )) as [string, number, number, number];
    switch (outcome) {
      case 'OK':
        return { ok: true, grabId, seq: a, acceptedAt: b, stockLeft: c };
      case 'NOT_STARTED':
        return { ok: false, refusal: 'NOT_STARTED', startsInMs: a };
      case 'RATE_LIMITED':
        return { ok: false, refusal: 'RATE_LIMITED', waitMs: { coupon: a, user: b, ip: c } };
      default:
        return { ok: false, refusal: outcome as Exclude<GrabRefusal, 'RATE_LIMITED' | 'NOT_STARTED'> };
    }
  }

  /**
   * Records the order of a grab; false when the grab was already settled otherwise. The record is
   * kept `keepForMs` (at least the order's validity, so a cancel or an expiry can still release
   * its unit exactly once through it).
   */
  async succeed(grabId: string, orderId: string, keepForMs = this.#ttlMs): Promise<boolean> {
    const couponId = requireCoupon(grabId);
    return (
      (await this.#scripts.succeed(
        [couponKeys(couponId).grab(grabId)],
        [orderId, Math.max(keepForMs, this.#ttlMs)],
      )) === 1
    );
  }

  /**
   * Gives the unit and the user's slot back exactly once: a QUEUED grab whose order can never be
   * written (→ FAILED), or a SUCCEEDED grab whose order was cancelled or expired.
   */
  async release(
    grabId: string,
    userId: string,
    change: { from: 'QUEUED' | 'SUCCEEDED'; to: 'FAILED' | 'CANCELLED'; reason: string; orderId?: string },
  ): Promise<boolean> {
    const k = couponKeys(requireCoupon(grabId));
    const released = await this.#scripts.release(
      [k.stock, k.holders, k.grab(grabId)],
      [userId, change.from, change.to, change.reason, change.orderId ?? ''],
    );
    return released === 1;
  }

  async record(grabId: string): Promise<GrabRecord | undefined> {
    const couponId = couponOfGrab(grabId);
    if (couponId === undefined) return undefined;
    const fields = await this.#redis.hgetall(couponKeys(couponId).grab(grabId));
    if (fields['status'] === undefined || fields['userId'] === undefined) return undefined;
    return {
      grabId,
      couponId,
      userId: fields['userId'],
      status: fields['status'] as GrabStatus,
      seq: Number(fields['seq']),
      acceptedAt: Number(fields['acceptedAt']),
      ...(fields['orderId'] === undefined ? {} : { orderId: fields['orderId'] }),
      ...(fields['reason'] === undefined || fields['reason'] === '' ? {} : { reason: fields['reason'] }),
    };
  }

  /** The per-user counters: coupons held now, and grabs ever accepted (sequence numbers). */
  async counters(couponId: string): Promise<{ holders: Map<string, number>; seqs: Map<string, number> }> {
    const k = couponKeys(couponId);
    const [holders, seqs] = await Promise.all([this.#redis.hgetall(k.holders), this.#redis.hgetall(k.seqs)]);
    const toMap = (h: Record<string, string>) => new Map(Object.entries(h).map(([u, n]) => [u, Number(n)]));
    return { holders: toMap(holders), seqs: toMap(seqs) };
  }

  /** Entries waiting in the coupon's outbox (published or not yet acknowledged). */
  async outboxLength(couponId: string): Promise<number> {
    return this.#redis.xlen(couponKeys(couponId).outbox);
  }

  /**
   * Replaces the sale state with one rebuilt elsewhere (from the orders in MySQL): settings,
   * units left, and per user the coupons held and the highest sequence number used.
   */
  async restore(
    couponId: string,
    s: SaleSettings,
    state: { stockLeft: number; users: ReadonlyArray<{ userId: string; held: number; seq: number }> },
  ): Promise<void> {
    const k = couponKeys(couponId);
    await this.#scripts.restore(
      [k.meta, k.stock, k.holders, k.seqs],
      [
        s.status,
        s.type,
        s.perUserLimit,
        s.startMs,
        s.endMs,
        s.totalStock,
        state.stockLeft,
        state.users.length,
        ...state.users.flatMap((u) => [u.userId, u.held, u.seq]),
      ],
    );
    await this.#redis.sadd(this.#registry, couponId);
  }

  /** Units left, or undefined when the coupon has no sale state (not preheated). */
  async stockLeft(couponId: string): Promise<number | undefined> {
    const value = await this.#redis.get(couponKeys(couponId).stock);
    return value === null ? undefined : Number(value);
  }

  /** Drops a coupon's sale state (the coupon was deleted). */
  async remove(couponId: string): Promise<void> {
    const k = couponKeys(couponId);
    await this.#redis.del(k.meta, k.stock, k.holders, k.seqs, k.outbox);
    await this.#redis.srem(this.#registry, couponId);
  }
}

function requireCoupon(grabId: string): string {
  const couponId = couponOfGrab(grabId);
  if (couponId === undefined) throw new Error(`not a grab id: ${grabId}`);
  return couponId;
}
