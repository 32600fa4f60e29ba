import { VERIFIER_ENV, verifierSettingsSchema } from '@couponkill/auth';
import { loadConfig } from '@couponkill/config';
import { MYSQL_POOL_ENV, mysqlPoolSchema } from '@couponkill/db';
import { couponsDatabaseSchema, DEFAULT_COUPONS_DATABASE } from '@couponkill/coupons';
import { orderShardingSchema } from '@couponkill/orders';
import { REDIS_ENV, redisOptionsSchema } from '@couponkill/redis';
import { z } from 'zod';

export const couponAdminConfigSchema = z.object({
  mysqlUrl: z.url().default('mysql://couponkill:couponkill@127.0.0.1:3306'),
  /** Bounds on waiting for MySQL (queue, connection, statement): a stall answers 503, not a pile-up. */
  mysqlPool: mysqlPoolSchema.prefault({}),
  couponsDatabase: couponsDatabaseSchema.default(DEFAULT_COUPONS_DATABASE),
  redis: redisOptionsSchema.prefault({}),
  /** Where live orders are counted before a delete (CONFIG_FILE, like the other functions' sharding). */
  orderSharding: orderShardingSchema.prefault({}),
  /** Apply the coupon schema migrations at start (local runs); clusters run them as a Job. */
  migrateOnStart: z.boolean().default(false),
  auth: verifierSettingsSchema.prefault({}),
});
export type CouponAdminConfig = z.output<typeof couponAdminConfigSchema>;

export function loadCouponAdminConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadConfig(
    {
      name: 'coupon-admin',
      schema: couponAdminConfigSchema,
      fileEnv: 'CONFIG_FILE',
      env: {
        MYSQL_URL: 'mysqlUrl',
        ...MYSQL_POOL_ENV,
        COUPONS_DATABASE: 'couponsDatabase',
        ...REDIS_ENV,
        MIGRATE_ON_START: 'migrateOnStart',
        ...VERIFIER_ENV,
      },
    },
    { env },
  );
}
