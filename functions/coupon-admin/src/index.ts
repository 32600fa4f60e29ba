// Entry point of the coupon-admin image: registers the function with functions-framework.
import { OrderStore } from '@couponkill/orders';
import { serveFunction } from '@couponkill/runtime';
import { createCouponAdmin, FUNCTION_NAME } from './app.js';
import { loadCouponAdminConfig } from './config.js';

await serveFunction(FUNCTION_NAME, loadCouponAdminConfig, (config) => {
  // Only a delete asks it, so two connections per order database are plenty. Not a readiness
  // check: an unreachable order database should stop deletes, not every coupon read.
  const orders = OrderStore.open(config.current.mysqlUrl, config.current.orderSharding, 2, config.current.mysqlPool);
  return createCouponAdmin(config, {
    countLiveOrders: (couponId) => orders.countLive(couponId),
    countHeldOrders: async (couponId) => {
      const counts = await orders.countByStatus(couponId);
      return counts.UNUSED + counts.USED;
    },
  });
});
