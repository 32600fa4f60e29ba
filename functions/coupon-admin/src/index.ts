// Entry point of the coupon-admin image: registers the function with functions-framework.
import { OrderStore } from '@couponkill/orders';
import { serveFunction } from '@couponkill/runtime';
import { createCouponAdmin, FUNCTION_NAME } from './app.js';
import { loadCouponAdminConfig } from './config.js';

/**
 * Only a delete asks the order databases, so two connections each are plenty. Not a readiness
 * check: an unreachable order database should stop deletes, not every coupon read.
 */
const ORDER_CONNECTIONS = 2;

await serveFunction(FUNCTION_NAME, loadCouponAdminConfig, (config) => {
  const { mysqlUrl, orderSharding, mysqlPool } = config.current;
  const orders = OrderStore.open(mysqlUrl, orderSharding, ORDER_CONNECTIONS, mysqlPool);
  return createCouponAdmin(config, {
    countLiveOrders: (couponId) => orders.countLive(couponId),
    countHeldOrders: async (couponId) => {
      const counts = await orders.countByStatus(couponId);
      return counts.UNUSED + counts.USED;
    },
  });
});
