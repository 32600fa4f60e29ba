export type CouponType = 'seckill' | 'normal';
export type CouponStatus = 'active' | 'inactive';

/** A coupon as stored. Money in cents; times are ISO strings (UTC), null when absent. */
export interface Coupon {
  readonly id: string;
  readonly name: string;
  readonly type: CouponType;
  readonly faceValueCents: number;
  readonly minSpendCents: number;
  /** Days an issued coupon stays usable. */
  readonly validDays: number;
  /** Coupons one user may hold at a time. */
  readonly perUserLimit: number;
  readonly totalStock: number;
  /** The sale window; `seckill` coupons have one, `normal` coupons never. */
  readonly startAt: string | null;
  readonly endAt: string | null;
  readonly status: CouponStatus;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export type NewCoupon = Omit<Coupon, 'id' | 'createdAt' | 'updatedAt'>;

/** What an update may change; everything else is fixed once coupons have been handed out. */
export type CouponPatch = Partial<
  Pick<Coupon, 'name' | 'status' | 'startAt' | 'endAt' | 'totalStock' | 'perUserLimit'>
>;

/** The JSON shape of a coupon in every response: the same names a create request uses. */
export function publicCoupon(coupon: Coupon) {
  return {
    id: coupon.id,
    name: coupon.name,
    type: coupon.type,
    faceValue: coupon.faceValueCents,
    minSpend: coupon.minSpendCents,
    validDays: coupon.validDays,
    perUserLimit: coupon.perUserLimit,
    totalStock: coupon.totalStock,
    window: coupon.startAt === null || coupon.endAt === null ? null : { start: coupon.startAt, end: coupon.endAt },
    status: coupon.status,
    createdAt: coupon.createdAt,
    updatedAt: coupon.updatedAt,
  };
}
