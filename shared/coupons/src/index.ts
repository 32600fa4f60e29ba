export {
  type Coupon,
  type CouponPatch,
  type CouponStatus,
  type CouponType,
  type NewCoupon,
  publicCoupon,
} from './coupon.js';
export { couponIdListSchema } from './ids.js';
export { couponsDatabaseSchema, DEFAULT_COUPONS_DATABASE } from './database.js';
export { toSaleSettings } from './sale-settings.js';
export { type BeforeCommit, type CouponPage, CouponStore } from './store.js';
