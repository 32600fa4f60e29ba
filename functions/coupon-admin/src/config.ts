import { VERIFIER_ENV, verifierSettingsSchema } from '@couponkill/auth';
import { configLoader } from '@couponkill/config';
import { MYSQL_ENV, mysqlSettingsShape } from '@couponkill/db';
import { couponsDatabaseSchema, DEFAULT_COUPONS_DATABASE } from '@couponkill/coupons';
import { orderShardingSchema } from '@couponkill/orders';
import { REDIS_ENV, redisOptionsSchema } from '@couponkill/redis';
import { z } from 'zod';

export const couponAdminConfigSchema = z.object({
  ...mysqlSettingsShape,
  couponsDatabase: couponsDatabaseSchema.default(DEFAULT_COUPONS_DATABASE),
  redis: redisOptionsSchema.prefault({}),
  /** Where live orders are counted before a delete (CONFIG_FILE, like the other functions' sharding). */
  orderSharding: orderShardingSchema.prefault({}),
  /** Apply the coupon schema migrations at start (local runs); clusters run them as a Job. */
  migrateOnStart: z.boolean().default(false),
  auth: verifierSettingsSchema.prefault({}),
});
export type CouponAdminConfig = z.output<typeof couponAdminConfigSchema>;

export const loadCouponAdminConfig = configLoader('coupon-admin', couponAdminConfigSchema, {
  ...MYSQL_ENV,
  COUPONS_DATABASE: 'couponsDatabase',
  ...REDIS_ENV,
  MIGRATE_ON_START: 'migrateOnStart',
  ...VERIFIER_ENV,
});
