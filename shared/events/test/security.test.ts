import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KAFKA_SECURITY_ENV, kafkajsSecurity, kafkaSecuritySchema } from '../src/index.js';

describe('Kafka client security settings', () => {
  it('is PLAINTEXT when nothing is set', () => {
    expect(kafkajsSecurity(kafkaSecuritySchema.parse(undefined))).toEqual({});
    expect(kafkajsSecurity(undefined)).toEqual({});
  });

  it('maps SASL and TLS to the kafkajs options, with the CA file read', () => {
    const ca = join(mkdtempSync(join(tmpdir(), 'ck-kafka-ca-')), 'ca.pem');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const settings = kafkaSecuritySchema.parse({
      tls: true,
      caFile: ca,
      sasl: { mechanism: 'scram-sha-256', username: 'u', password: 'p' },
    });
    expect(kafkajsSecurity(settings)).toEqual({
      ssl: { ca: ['-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'] },
      sasl: { mechanism: 'scram-sha-256', username: 'u', password: 'p' },
    });
    expect(kafkajsSecurity(kafkaSecuritySchema.parse({ tls: true }))).toEqual({ ssl: true });
  });

  it('defaults to SCRAM-SHA-512 and refuses half a configuration', () => {
    expect(kafkaSecuritySchema.parse({ sasl: { username: 'u', password: 'p' } }).sasl?.mechanism).toBe('scram-sha-512');
    expect(kafkaSecuritySchema.safeParse({ sasl: { mechanism: 'scram-sha-512', username: 'u' } }).success).toBe(false);
    expect(kafkaSecuritySchema.safeParse({ caFile: '/ca.pem' }).success).toBe(false);
    expect(kafkaSecuritySchema.safeParse({ sasl: { mechanism: 'gssapi', username: 'u', password: 'p' } }).success).toBe(
      false,
    );
  });

  it('is read from KAFKA_TLS, KAFKA_CA_FILE and KAFKA_SASL_{MECHANISM,USERNAME,PASSWORD}', () => {
    expect(Object.keys(KAFKA_SECURITY_ENV).sort()).toEqual([
      'KAFKA_CA_FILE',
      'KAFKA_SASL_MECHANISM',
      'KAFKA_SASL_PASSWORD',
      'KAFKA_SASL_USERNAME',
      'KAFKA_TLS',
    ]);
  });
});
