import { jobTokenSchema, VERIFIER_ENV, verifierSettingsSchema } from '@couponkill/auth';
import { configLoader } from '@couponkill/config';
import { MYSQL_ENV, mysqlSettingsShape } from '@couponkill/db';
import { orderShardingSchema } from '@couponkill/orders';
import { REDIS_ENV, redisOptionsSchema } from '@couponkill/redis';
import { z } from 'zod';

export const ordersConfigSchema = z.object({
  ...mysqlSettingsShape,
  /** The same layout create-order writes with (CONFIG_FILE, like the other functions' sharding). */
  orderSharding: orderShardingSchema.prefault({}),
  redis: redisOptionsSchema.prefault({}),
  auth: verifierSettingsSchema.prefault({}),
  expiry: z
    .object({
      /**
       * The shared secret of the scheduled caller of `POST /jobs/expire-orders`, sent as
       * `Authorization: Bearer <token>`. Unset: only an admin's access token runs the job.
       */
      jobToken: jobTokenSchema.optional(),
      /** Orders expired by one call at most; the next scheduled call takes the rest. */
      batchLimit: z.number().int().min(1).max(5000).default(500),
      /** Orders worked on at once within a call (each is one UPDATE and one Redis script). */
      concurrency: z.number().int().min(1).max(64).default(8),
    })
    .prefault({}),
});
export type OrdersConfig = z.output<typeof ordersConfigSchema>;

export const loadOrdersConfig = configLoader('orders', ordersConfigSchema, {
  ...MYSQL_ENV,
  ...REDIS_ENV,
  ...VERIFIER_ENV,
  JOB_TOKEN: 'expiry.jobToken',
  EXPIRE_BATCH_LIMIT: 'expiry.batchLimit',
});
