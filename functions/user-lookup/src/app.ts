import { routeGuard, verifierFrom } from '@couponkill/auth';
import type { ConfigStore } from '@couponkill/config';
import { checkDependencies } from '@couponkill/health';
import { closeAll, createFunctionKit, type FunctionApp } from '@couponkill/http';
import { createRedis } from '@couponkill/redis';
import { UserCache, UserStore } from '@couponkill/users';
import type { userLookupConfigSchema } from './config.js';
import { userLookupRoutes } from './handlers.js';

export const FUNCTION_NAME = 'user-lookup';

/** Its routes are reads; a body is refused before it is parsed. */
export const MAX_BODY_BYTES = 1024;

export async function createUserLookup(config: ConfigStore<typeof userLookupConfigSchema>): Promise<FunctionApp> {
  const kit = createFunctionKit(FUNCTION_NAME);
  const settings = config.current;
  const users = UserStore.open(settings.mysqlUrl, settings.userSharding, undefined, settings.mysqlPool);
  const redis = createRedis(settings.redis, FUNCTION_NAME);
  const verify = verifierFrom(settings.auth);
  checkDependencies(kit.health, { redis, stores: [users] });

  const handler = kit.handler({
    authorize: routeGuard(verify),
    routes: userLookupRoutes({ verify, users, cache: new UserCache(redis, settings.profileCacheSeconds) }),
    maxBodyBytes: MAX_BODY_BYTES,
  });
  return { handler, close: closeAll(users, redis) };
}
