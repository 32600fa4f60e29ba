// Entry point of the coupon-admin image: registers the function with functions-framework.
import { http } from '@google-cloud/functions-framework';
import { loadOrExit } from '@couponkill/config';
import { OrderStore } from '@couponkill/orders';
import { createCouponAdmin, FUNCTION_NAME } from './app.js';
import { loadCouponAdminConfig } from './config.js';

const config = loadOrExit(() => loadCouponAdminConfig());
// Only a delete asks it, so two connections per order database are plenty. Not a readiness
// check: an unreachable order database should stop deletes, not every coupon read.
const orders = OrderStore.open(config.current.mysqlUrl, config.current.orderSharding, 2, config.current.mysqlPool);
const app = await createCouponAdmin(config, {
  countLiveOrders: (couponId) => orders.countLive(couponId),
  countHeldOrders: async (couponId) => {
    const counts = await orders.countByStatus(couponId);
    return counts.UNUSED + counts.USED;
  },
});
http(FUNCTION_NAME, app.handler);
