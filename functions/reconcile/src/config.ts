import { jobTokenSchema } from '@couponkill/auth';
import { configLoader } from '@couponkill/config';
import { couponsDatabaseSchema, DEFAULT_COUPONS_DATABASE } from '@couponkill/coupons';
import { MYSQL_ENV, mysqlPoolSchemaWith, mysqlUrlSchema } from '@couponkill/db';
import { KAFKA_SECURITY_ENV, kafkaBrokersSchema, kafkaSecuritySchema, TOPICS } from '@couponkill/events';
import { orderShardingSchema } from '@couponkill/orders';
import { REDIS_ENV, redisOptionsSchema } from '@couponkill/redis';
import { z } from 'zod';

export const reconcileConfigSchema = z.object({
  mysqlUrl: mysqlUrlSchema,
  /**
   * Bounds on waiting for MySQL (queue, connection, statement): a stall answers 503, not a pile-up.
   * A statement may take longer than a request's: a check reads every order of a coupon.
   */
  mysqlPool: mysqlPoolSchemaWith({ queryTimeoutMs: 60_000 }).prefault({}),
  couponsDatabase: couponsDatabaseSchema.default(DEFAULT_COUPONS_DATABASE),
  orderSharding: orderShardingSchema.prefault({}),
  redis: redisOptionsSchema.prefault({}),
  kafkaBrokers: kafkaBrokersSchema,
  /** TLS / SASL towards the brokers (PLAINTEXT when unset). */
  kafkaSecurity: kafkaSecuritySchema,
  /** The order worker's consumer group and topic, whose lag counts as "in flight". */
  orderWorkerGroup: z.string().default('create-order'),
  topic: z.string().default(TOPICS.grabAccepted),
  /** The token the PingSource sends (`Authorization: Bearer …`); the job is refused without it. */
  jobToken: jobTokenSchema.optional(),
});

/** Where reconciliation finds the stores it compares; the operator reads the same variables. */
export const RECONCILE_STORES_ENV = {
  ...MYSQL_ENV,
  COUPONS_DATABASE: 'couponsDatabase',
  ...REDIS_ENV,
  KAFKA_BROKERS: 'kafkaBrokers',
  ...KAFKA_SECURITY_ENV,
  ORDER_WORKER_GROUP: 'orderWorkerGroup',
  GRAB_TOPIC: 'topic',
} as const;

export const loadReconcileConfig = configLoader('reconcile', reconcileConfigSchema, {
  ...RECONCILE_STORES_ENV,
  JOB_TOKEN: 'jobToken',
});
