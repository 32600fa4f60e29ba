import { loadConfig } from '@couponkill/config';
import { redisOptionsSchema } from '@couponkill/redis';
import { userShardingSchema } from '@couponkill/users';
import { z } from 'zod';

export const userLookupConfigSchema = z.object({
  mysqlUrl: z.url().default('mysql://couponkill:couponkill@127.0.0.1:3306'),
  redis: redisOptionsSchema.prefault({}),
  userSharding: userShardingSchema.prefault({}),
  auth: z
    .object({
      issuer: z.string().min(1).default('https://auth.couponkill.local'),
      audience: z.string().min(1).default('couponkill'),
      /** user-auth's `/.well-known/jwks.json`. */
      jwksUrl: z.url().default('http://user-auth.couponkill.svc.cluster.local/.well-known/jwks.json'),
    })
    .prefault({}),
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
        REDIS_URL: 'redis.url',
        REDIS_MODE: 'redis.mode',
        AUTH_ISSUER: 'auth.issuer',
        AUTH_AUDIENCE: 'auth.audience',
        AUTH_JWKS_URL: 'auth.jwksUrl',
      },
    },
    { env },
  );
}
