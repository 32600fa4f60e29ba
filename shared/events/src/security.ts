import { readFileSync } from 'node:fs';
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import { z } from 'zod';

/** The bootstrap brokers, `host:port` each. */
export const kafkaBrokersSchema = z
  .array(z.string().regex(/^[^:\s]+:\d+$/))
  .min(1)
  .default(['127.0.0.1:9092']);

/**
 * How a client authenticates to and encrypts its connections with the brokers: TLS (an SSL or
 * SASL_SSL listener) and SASL (SCRAM or PLAIN; over a listener without TLS, SASL authenticates
 * but encrypts nothing). Nothing set: PLAINTEXT, as the chart's Kafka speaks inside the mesh.
 */
export const kafkaSecuritySchema = z
  .strictObject({
    tls: z.boolean().default(false),
    /** PEM file of the CA the brokers' certificates chain to; absent: the system's CAs. */
    caFile: z.string().min(1).optional(),
    sasl: z
      .strictObject({
        mechanism: z.enum(['scram-sha-512', 'scram-sha-256', 'plain']).default('scram-sha-512'),
        username: z.string().min(1),
        password: z.string().min(1),
      })
      .optional(),
  })
  .refine((s) => s.caFile === undefined || s.tls, { message: 'caFile needs tls: true', path: ['caFile'] })
  .prefault({});
export type KafkaSecurity = z.output<typeof kafkaSecuritySchema>;

/** The environment variables of a `kafkaSecurity` section (for `loadConfig`'s env map). */
export const KAFKA_SECURITY_ENV = {
  KAFKA_TLS: 'kafkaSecurity.tls',
  KAFKA_CA_FILE: 'kafkaSecurity.caFile',
  KAFKA_SASL_MECHANISM: 'kafkaSecurity.sasl.mechanism',
  KAFKA_SASL_USERNAME: 'kafkaSecurity.sasl.username',
  KAFKA_SASL_PASSWORD: 'kafkaSecurity.sasl.password',
} as const;

/** The kafkajs `ssl` and `sasl` options for these settings. */
export function kafkajsSecurity(security: KafkaSecurity | undefined): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  if (security === undefined) return {};
  const ssl = security.tls
    ? security.caFile === undefined
      ? true
      : { ca: [readFileSync(security.caFile, 'utf8')] }
    : undefined;
  return {
    ...(ssl === undefined ? {} : { ssl }),
    ...(security.sasl === undefined ? {} : { sasl: saslOptions(security.sasl) }),
  };
}

function saslOptions({ mechanism, username, password }: NonNullable<KafkaSecurity['sasl']>): SASLOptions {
  switch (mechanism) {
    case 'scram-sha-512':
      return { mechanism, username, password };
    case 'scram-sha-256':
      return { mechanism, username, password };
    case 'plain':
      return { mechanism, username, password };
  }
}
