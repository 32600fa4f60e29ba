import { jobGuard, routeGuard, verifierFrom } from '@couponkill/auth';
import type { ConfigStore } from '@couponkill/config';
import { checkDependencies } from '@couponkill/health';
import { closeAll, createFunctionKit, type FunctionApp } from '@couponkill/http';
import { OrderStore } from '@couponkill/orders';
import { assertNoEviction, createRedis } from '@couponkill/redis';
import { Sale } from '@couponkill/sale';
import type { ordersConfigSchema } from './config.js';
import { ordersRoutes } from './handlers.js';
import { OrderLifecycle } from './lifecycle.js';

export const FUNCTION_NAME = 'orders';

/** Room for the CloudEvent a scheduler may post to the job; user requests carry no body. */
export const MAX_BODY_BYTES = 4096;

export async function createOrders(config: ConfigStore<typeof ordersConfigSchema>): Promise<FunctionApp> {
  const kit = createFunctionKit(FUNCTION_NAME);
  const { metrics, health } = kit;
  const settings = config.current;
  const orders = OrderStore.open(settings.mysqlUrl, settings.orderSharding, undefined, settings.mysqlPool);
  const redis = createRedis(settings.redis, FUNCTION_NAME);
  await assertNoEviction(redis);
  const verify = verifierFrom(settings.auth);
  checkDependencies(health, { redis, stores: [orders] });

  const lifecycle = new OrderLifecycle(orders, new Sale(redis), {
    expired: metrics.counter('couponkill_orders_expired_total', 'Orders moved from UNUSED to EXPIRED.'),
    releaseMissed: metrics.counter(
      'couponkill_orders_release_missed_total',
      'Cancelled or expired orders whose unit was not given back in Redis; an audit restores it.',
    ),
  });
  const authorizeJob = jobGuard(verify, settings.expiry.jobToken);
  const handler = kit.handler({
    authorize: routeGuard(verify, authorizeJob),
    routes: ordersRoutes({
      verify,
      orders,
      lifecycle,
      authorizeJob,
      expiry: settings.expiry,
    }),
    maxBodyBytes: MAX_BODY_BYTES,
  });
  return { handler, close: closeAll(orders, redis) };
}
