import { describe, expect, it } from 'vitest';
import { loadAuditConfig } from '../src/config.js';

describe('audit config', () => {
  it('reads the Kafka credentials the chart passes (KAFKA_SASL_*, KAFKA_TLS)', () => {
    const config = loadAuditConfig({
      KAFKA_BROKERS: 'k:9093',
      KAFKA_TLS: 'true',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'couponkill',
      KAFKA_SASL_PASSWORD: 'secret',
    }).current;
    expect(config.kafkaSecurity).toEqual({
      tls: true,
      sasl: { mechanism: 'scram-sha-512', username: 'couponkill', password: 'secret' },
    });
  });

  it('speaks PLAINTEXT without them', () => {
    expect(loadAuditConfig({}).current.kafkaSecurity).toEqual({ tls: false });
  });
});
