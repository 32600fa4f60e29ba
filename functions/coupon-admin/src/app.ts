import { routeGuard, verifierFrom } from '@couponkill/auth';
import type { ConfigStore } from '@couponkill/config';
import { CouponStore } from '@couponkill/coupons';
import { pingMysql, pingRedis } from '@couponkill/health';
import { createFunctionKit, createHttpFunction, type FunctionApp } from '@couponkill/http';
import { assertNoEviction, createRedis } from '@couponkill/redis';
import { Sale } from '@couponkill/sale';
import type { couponAdminConfigSchema } from './config.js';
import { type CountLiveOrders, couponAdminRoutes } from './handlers.js';

export const FUNCTION_NAME = 'coupon-admin';

export interface CouponAdminOptions {
  /** No default on purpose: deleting must never assume a coupon has no orders. */
  readonly countLiveOrders: CountLiveOrders;
  readonly countHeldOrders: CountLiveOrders;
}

/** Wires the coupon-admin function from its configuration: store, sale state, verifier, routes, health. */
export async function createCouponAdmin(
  config: ConfigStore<typeof couponAdminConfigSchema>,
  options: CouponAdminOptions,
): Promise<FunctionApp> {
  const { logger, metrics, health } = createFunctionKit(FUNCTION_NAME);
  const settings = config.current;
  if (settings.migrateOnStart) await CouponStore.migrate(settings.mysqlUrl, settings.couponsDatabase);
  const coupons = CouponStore.open(settings.mysqlUrl, settings.couponsDatabase, undefined, settings.mysqlPool);
  const redis = createRedis(settings.redis, FUNCTION_NAME);
  await assertNoEviction(redis);
  const verify = verifierFrom(settings.auth);
  health.addCheck('redis', pingRedis(redis));
  for (const [name, pool] of coupons.namedPools()) health.addCheck(name, pingMysql(pool));

  const handler = createHttpFunction({
    name: FUNCTION_NAME,
    authorize: routeGuard(verify),
    logger,
    metrics,
    health,
    routes: couponAdminRoutes({
      verify,
      coupons,
      sale: new Sale(redis),
      countLiveOrders: options.countLiveOrders,
      countHeldOrders: options.countHeldOrders,
    }),
    maxBodyBytes: 4 * 1024,
  });
  return {
    handler,
    async close() {
      await coupons.close();
      redis.disconnect();
    },
  };
}
