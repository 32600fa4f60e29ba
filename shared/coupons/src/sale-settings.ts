import type { SaleSettings } from '@couponkill/sale';
import type { Coupon } from './coupon.js';

/**
 * The sale state a coupon is preheated with. Only `seckill` coupons are bound by a window; a
 * normal coupon can be taken whenever it is active, so its bounds are 0 (none) whatever is stored.
 */
export function toSaleSettings(coupon: Coupon): SaleSettings {
  const windowed = coupon.type === 'seckill';
  return {
    status: coupon.status,
    type: coupon.type,
    perUserLimit: coupon.perUserLimit,
    startMs: windowed && coupon.startAt !== null ? Date.parse(coupon.startAt) : 0,
    endMs: windowed && coupon.endAt !== null ? Date.parse(coupon.endAt) : 0,
    totalStock: coupon.totalStock,
  };
}
