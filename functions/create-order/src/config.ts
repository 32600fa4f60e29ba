import { jobTokenSchema, VERIFIER_ENV, verifierSettingsSchema } from '@couponkill/auth';
import { configLoader } from '@couponkill/config';
import { couponsDatabaseSchema, DEFAULT_COUPONS_DATABASE } from '@couponkill/coupons';
import { MYSQL_ENV, mysqlSettingsShape } from '@couponkill/db';
import { orderShardingSchema } from '@couponkill/orders';
import { REDIS_ENV, redisOptionsSchema } from '@couponkill/redis';
import { z } from 'zod';

export const createOrderConfigSchema = z.object({
  ...mysqlSettingsShape,
  couponsDatabase: couponsDatabaseSchema.default(DEFAULT_COUPONS_DATABASE),
  orderSharding: orderShardingSchema.prefault({}),
  redis: redisOptionsSchema.prefault({}),
  migrateOnStart: z.boolean().default(false),
  batch: z
    .object({
      /** Deliveries written in one INSERT per table. */
      maxItems: z.number().int().min(1).max(5000).default(500),
      /** How long the first delivery of a batch waits for company. */
      maxWaitMs: z.number().int().min(0).max(100).default(5),
    })
    .prefault({}),
  /** How long coupon terms are remembered in-process. */
  termsCacheSeconds: z.number().int().min(0).default(30),
  /** Verifies an admin's access token on `POST /jobs/redrive`. */
  auth: verifierSettingsSchema.prefault({}),
  /**
   * The shared secret of the scheduled caller of `POST /jobs/redrive` (`Authorization: Bearer
   * <token>`). Unset: only an admin's access token runs the job.
   */
  jobToken: jobTokenSchema.optional(),
});
export type CreateOrderConfig = z.output<typeof createOrderConfigSchema>;

export const loadCreateOrderConfig = configLoader('create-order', createOrderConfigSchema, {
  ...MYSQL_ENV,
  COUPONS_DATABASE: 'couponsDatabase',
  ...REDIS_ENV,
  MIGRATE_ON_START: 'migrateOnStart',
  ORDER_BATCH_MAX_ITEMS: 'batch.maxItems',
  ORDER_BATCH_MAX_WAIT_MS: 'batch.maxWaitMs',
  ...VERIFIER_ENV,
  JOB_TOKEN: 'jobToken',
});
