import { routeGuard, verifierFrom } from '@couponkill/auth';
import type { ConfigStore } from '@couponkill/config';
import { CouponStore } from '@couponkill/coupons';
import { checkDependencies } from '@couponkill/health';
import { closeAll, createFunctionKit, type FunctionApp } from '@couponkill/http';
import { assertNoEviction, createRedis } from '@couponkill/redis';
import { Sale } from '@couponkill/sale';
import type { couponAdminConfigSchema } from './config.js';
import { type CountLiveOrders, couponAdminRoutes } from './handlers.js';

export const FUNCTION_NAME = 'coupon-admin';

/** A coupon's terms and window: well under a kilobyte, with room for long names. */
export const MAX_BODY_BYTES = 4 * 1024;

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
  const kit = createFunctionKit(FUNCTION_NAME);
  const settings = config.current;
  if (settings.migrateOnStart) await CouponStore.migrate(settings.mysqlUrl, settings.couponsDatabase);
  const coupons = CouponStore.open(settings.mysqlUrl, settings.couponsDatabase, undefined, settings.mysqlPool);
  const redis = createRedis(settings.redis, FUNCTION_NAME);
  await assertNoEviction(redis);
  const verify = verifierFrom(settings.auth);
  checkDependencies(kit.health, { redis, stores: [coupons] });

  const handler = kit.handler({
    authorize: routeGuard(verify),
    routes: couponAdminRoutes({
      verify,
      coupons,
      sale: new Sale(redis),
      countLiveOrders: options.countLiveOrders,
      countHeldOrders: options.countHeldOrders,
    }),
    maxBodyBytes: MAX_BODY_BYTES,
  });
  return { handler, close: closeAll(coupons, redis) };
}
