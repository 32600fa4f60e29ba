import type { TokenBucket } from '@couponkill/redis';
import type { GrabFlow } from '@couponkill/sale';
import type { FlowRulesDocument } from './schema.js';

/** Where the rules in force came from. */
export type RulesSource = 'embedded' | 'file' | 'nacos';

/** The buckets of one coupon's grabs (absent = no rule for that dimension), as the grab script takes them. */
export type CouponBuckets = Omit<GrabFlow, 'clientIp'>;

/**
 * The rules in force, compiled for the grab path: the per-coupon lookup is one Map probe, and
 * the result is a frozen object shared by every grab of that coupon.
 */
export interface ActiveFlowRules {
  /** Increases by one with every change applied in this process. */
  readonly generation: number;
  readonly source: RulesSource;
  /** A short hash of the document's text (the same on every instance that applied it). */
  readonly version: string;
  readonly document: FlowRulesDocument;
  readonly global: TokenBucket | undefined;
  readonly maxConcurrentGrabs: number | undefined;
  bucketsFor(couponId: string): CouponBuckets;
}

export function compileRules(
  document: FlowRulesDocument,
  meta: { generation: number; source: RulesSource; version: string },
): ActiveFlowRules {
  const defaults: CouponBuckets = Object.freeze({
    coupon: document.perCoupon,
    user: document.perUser,
    ip: document.perIp,
  });
  const overrides = new Map<string, CouponBuckets>();
  for (const [couponId, own] of Object.entries(document.coupons)) {
    overrides.set(
      couponId,
      Object.freeze({
        // undefined: the default applies; null: no rule for this coupon.
        coupon: own.perCoupon === undefined ? defaults.coupon : (own.perCoupon ?? undefined),
        user: own.perUser === undefined ? defaults.user : (own.perUser ?? undefined),
        ip: own.perIp === undefined ? defaults.ip : (own.perIp ?? undefined),
      }),
    );
  }
  return Object.freeze({
    ...meta,
    document,
    global: document.global,
    maxConcurrentGrabs: document.maxConcurrentGrabsPerInstance,
    bucketsFor: (couponId: string) => overrides.get(couponId) ?? defaults,
  });
}
