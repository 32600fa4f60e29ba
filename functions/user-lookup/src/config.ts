import { VERIFIER_ENV, verifierSettingsSchema } from '@couponkill/auth';
import { loadConfig } from '@couponkill/config';
import { MYSQL_POOL_ENV, mysqlPoolSchema } from '@couponkill/db';
import { REDIS_ENV, redisOptionsSchema } from '@couponkill/redis';
import { userShardingSchema } from '@couponkill/users';
import { z } from 'zod';

export const userLookupConfigSchema = z.object({
  mysqlUrl: z.url().default('mysql://couponkill:couponkill@127.0.0.1:3306'),
  /** Bounds on waiting for MySQL (queue, connection, statement): a stall answers 503, not a pile-up. */
  mysqlPool: mysqlPoolSchema.prefault({}),
  redis: redisOptionsSchema.prefault({}),
  userSharding: userShardingSchema.prefault({}),
  auth: verifierSettingsSchema.prefault({}),
  profileCacheSeconds: z.number().int().min(0).default(300),
});
export type UserLookupConfig = z.output<typeof userLookupConfigSchema>;

export function loadUserLookupConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadConfig(
    {
      name: 'user-lookup',
      schema: userLookupConfigSchema,
      fileEnv: 'CONFIG_FILE',
      env: {
        MYSQL_URL: 'mysqlUrl',
        ...MYSQL_POOL_ENV,
        ...REDIS_ENV,
        ...VERIFIER_ENV,
      },
    },
    { env },
  );
}
