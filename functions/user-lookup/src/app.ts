import { routeGuard, verifierFrom } from '@couponkill/auth';
import type { ConfigStore } from '@couponkill/config';
import { pingMysql, pingRedis } from '@couponkill/health';
import { createFunctionKit, createHttpFunction, type FunctionApp } from '@couponkill/http';
import { createRedis } from '@couponkill/redis';
import { UserCache, UserStore } from '@couponkill/users';
import type { userLookupConfigSchema } from './config.js';
import { userLookupRoutes } from './handlers.js';

export const FUNCTION_NAME = 'user-lookup';

export async function createUserLookup(config: ConfigStore<typeof userLookupConfigSchema>): Promise<FunctionApp> {
  const { logger, metrics, health } = createFunctionKit(FUNCTION_NAME);
  const settings = config.current;
  const users = UserStore.open(settings.mysqlUrl, settings.userSharding, undefined, settings.mysqlPool);
  const redis = createRedis(settings.redis, FUNCTION_NAME);
  const verify = verifierFrom(settings.auth);
  health.addCheck('redis', pingRedis(redis));
  for (const [name, pool] of users.namedPools()) health.addCheck(name, pingMysql(pool));

  const handler = createHttpFunction({
    name: FUNCTION_NAME,
    authorize: routeGuard(verify),
    logger,
    metrics,
    health,
    routes: userLookupRoutes({ verify, users, cache: new UserCache(redis, settings.profileCacheSeconds) }),
    maxBodyBytes: 1024,
  });
  return {
    handler,
    async close() {
      await users.close();
      redis.disconnect();
    },
  };
}
