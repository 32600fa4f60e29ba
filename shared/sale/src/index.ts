export { RedisClock } from './clock.js';
export { couponKeys, couponOfGrab, grabIdOf, isCouponId, OUTBOX_REGISTRY } from './keys.js';
export {
  type FlowWaits,
  type GrabFlow,
  grabIdForKey,
  type GrabOutcome,
  type GrabRecord,
  type GrabRefusal,
  type GrabStatus,
  Sale,
  type SaleOptions,
  type SaleSettings,
  type SucceedOutcome,
} from './sale.js';
