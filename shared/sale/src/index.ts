export { couponKeys, couponOfGrab, grabIdOf, isCouponId, OUTBOX_REGISTRY } from './keys.js';
export {
  type FlowWaits,
  type GrabFlow,
  type GrabOutcome,
  type GrabRecord,
  type GrabRefusal,
  type GrabStatus,
  Sale,
  type SaleOptions,
  type SaleSettings,
} from './sale.js';
