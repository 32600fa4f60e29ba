import { hostname } from 'node:os';
import { configLoader } from '@couponkill/config';
import { KAFKA_SECURITY_ENV, kafkaBrokersSchema, kafkaSecuritySchema } from '@couponkill/events';
import { REDIS_ENV, redisOptionsSchema } from '@couponkill/redis';
import { z } from 'zod';

export const outboxRelayConfigSchema = z.object({
  redis: redisOptionsSchema.prefault({}),
  kafkaBrokers: kafkaBrokersSchema,
  /** TLS and SASL to the brokers (the chart's `kafka.sasl` / `kafka.tls`). */
  kafkaSecurity: kafkaSecuritySchema,
  /** Create the topic at start (local runs); clusters create topics with an init Job. */
  createTopics: z.boolean().default(false),
  topicPartitions: z.number().int().min(1).max(1024).default(12),
  /** Consumer name in the streams' group: the pod name, so a restarted pod resumes its pending entries. */
  consumer: z.string().min(1).default(hostname()),
  batchSize: z.number().int().min(1).max(10_000).default(500),
  idleMs: z.number().int().min(1).max(1000).default(10),
  claimIdleMs: z.number().int().min(1000).default(30_000),
  /** How long one read waits on the outboxes for new entries (a blocking read; not in cluster mode). */
  blockMs: z.number().int().min(1).max(10_000).default(1000),
  /** How often the registry of outboxes is read again: a newly preheated coupon waits at most this long. */
  registryRefreshMs: z.number().int().min(100).max(60_000).default(1000),
  /** How often drained coupons whose sale is over are dropped from the registry. */
  pruneIntervalMs: z.number().int().min(1000).default(30_000),
});

export const loadOutboxRelayConfig = configLoader('outbox-relay', outboxRelayConfigSchema, {
  ...REDIS_ENV,
  ...KAFKA_SECURITY_ENV,
  KAFKA_BROKERS: 'kafkaBrokers',
  CREATE_TOPICS: 'createTopics',
  TOPIC_PARTITIONS: 'topicPartitions',
  RELAY_CONSUMER: 'consumer',
  RELAY_BATCH_SIZE: 'batchSize',
  RELAY_IDLE_MS: 'idleMs',
  RELAY_CLAIM_IDLE_MS: 'claimIdleMs',
  RELAY_BLOCK_MS: 'blockMs',
  RELAY_REGISTRY_REFRESH_MS: 'registryRefreshMs',
  RELAY_PRUNE_INTERVAL_MS: 'pruneIntervalMs',
});
