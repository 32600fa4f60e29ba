import type { ConfigStore } from '@couponkill/config';
import { CouponStore } from '@couponkill/coupons';
import { pingMysql, pingRedis } from '@couponkill/health';
import { createFunctionKit, createHttpFunction, type FunctionApp } from '@couponkill/http';
import { OrderStore } from '@couponkill/orders';
import { createRedis } from '@couponkill/redis';
import { Sale } from '@couponkill/sale';
import type { createOrderConfigSchema } from './config.js';
import { createOrderRoutes } from './handlers.js';
import { cachedTerms } from './terms.js';
import { OrderWriter } from './writer.js';

export const FUNCTION_NAME = 'create-order';

/** The order worker: the sink of the KafkaSource on `coupon.grab.accepted`. */
export async function createCreateOrder(config: ConfigStore<typeof createOrderConfigSchema>): Promise<FunctionApp> {
  const { logger, metrics, health } = createFunctionKit(FUNCTION_NAME);
  const settings = config.current;
  if (settings.migrateOnStart) await OrderStore.migrate(settings.mysqlUrl, settings.orderSharding);
  const orders = OrderStore.open(settings.mysqlUrl, settings.orderSharding, 20, settings.mysqlPool);
  const coupons = CouponStore.open(settings.mysqlUrl, settings.couponsDatabase, 4, settings.mysqlPool);
  const redis = createRedis(settings.redis, FUNCTION_NAME);
  const terms = cachedTerms(async (couponId) => coupons.get(couponId), settings.termsCacheSeconds * 1000);
  const batchSize = metrics.histogram(
    'couponkill_order_batch_size',
    'Deliveries written in one batch',
    [],
    [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000],
  );
  const writer = new OrderWriter({
    onBatch: (size) => batchSize.observe(size),
    orders,
    sale: new Sale(redis),
    terms,
    maxBatch: settings.batch.maxItems,
    maxWaitMs: settings.batch.maxWaitMs,
  });

  health.addCheck('redis', pingRedis(redis));
  for (const [name, pool] of orders.namedPools()) health.addCheck(name, pingMysql(pool));
  const handler = createHttpFunction({
    name: FUNCTION_NAME,
    logger,
    metrics,
    health,
    routes: createOrderRoutes(writer),
    maxBodyBytes: 16 * 1024,
  });
  return {
    handler,
    async close() {
      await orders.close();
      await coupons.close();
      redis.disconnect();
    },
  };
}
