import { couponsDatabaseSchema, DEFAULT_COUPONS_DATABASE } from '@couponkill/coupons';
import { MYSQL_ENV, mysqlPoolSchemaWith, mysqlUrlSchema } from '@couponkill/db';
import { KAFKA_SECURITY_ENV, kafkaBrokersSchema, kafkaSecuritySchema, TOPICS } from '@couponkill/events';
import { orderShardingSchema } from '@couponkill/orders';
import { REDIS_ENV, redisOptionsSchema } from '@couponkill/redis';
import { z } from 'zod';

/** The stores an audit compares: the audit function and the operator read the same settings. */
export const auditStoresSchema = z.object({
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
});

/** Where an audit finds the stores it compares; the operator reads the same variables. */
export const AUDIT_STORES_ENV = {
  ...MYSQL_ENV,
  COUPONS_DATABASE: 'couponsDatabase',
  ...REDIS_ENV,
  KAFKA_BROKERS: 'kafkaBrokers',
  ...KAFKA_SECURITY_ENV,
  ORDER_WORKER_GROUP: 'orderWorkerGroup',
  GRAB_TOPIC: 'topic',
} as const;
