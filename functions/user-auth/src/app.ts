import { readFileSync } from 'node:fs';
import { loadKeyRing } from '@couponkill/auth';
import type { ConfigStore } from '@couponkill/config';
import { checkDependencies } from '@couponkill/health';
import { closeAll, createFunctionKit, type FunctionApp } from '@couponkill/http';
import { createRedis } from '@couponkill/redis';
import { UserStore } from '@couponkill/users';
import type { userAuthConfigSchema } from './config.js';
import { userAuthRoutes } from './handlers.js';
import { Lockout } from './lockout.js';
import { RegisterLimiter } from './register-limit.js';

export const FUNCTION_NAME = 'user-auth';

/** A registration or login: a username, a password and an email. */
export const MAX_BODY_BYTES = 8 * 1024;

/** Wires the user-auth function from its configuration: stores, keys, routes, health. */
export async function createUserAuth(config: ConfigStore<typeof userAuthConfigSchema>): Promise<FunctionApp> {
  const kit = createFunctionKit(FUNCTION_NAME);
  const settings = config.current;
  if (settings.migrateOnStart) await UserStore.migrate(settings.mysqlUrl, settings.userSharding);
  const users = UserStore.open(settings.mysqlUrl, settings.userSharding, undefined, settings.mysqlPool);
  const redis = createRedis(settings.redis, FUNCTION_NAME);
  const keys = await loadKeyRing(settings.auth.signingKeys);
  const lockout = new Lockout(redis, () => config.current.lockout);
  const registerLimiter = new RegisterLimiter(redis, () => config.current.registerLimits);

  checkDependencies(kit.health, { redis, stores: [users] });

  const handler = kit.handler({
    routes: userAuthRoutes({
      users,
      keys,
      lockout,
      registerLimiter,
      config: () => config.current,
      openApi: readOpenApi(settings.openApiFile),
    }),
    maxBodyBytes: MAX_BODY_BYTES,
  });
  return { handler, close: closeAll(users, redis) };
}

/** Reads the published OpenAPI document once at start; a missing or broken file stops the start. */
function readOpenApi(file: string | undefined): Record<string, unknown> | undefined {
  if (file === undefined) return undefined;
  try {
    const document = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    if (document === null || typeof document !== 'object' || !('openapi' in document))
      throw new Error('not an OpenAPI document');
    return document;
  } catch (err) {
    throw new Error(`openApiFile (OPENAPI_FILE) ${file}: ${(err as Error).message}`, { cause: err });
  }
}
