import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKafka, kafkaSecuritySchema } from '@couponkill/events';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureKafka } from '../src/kafka.js';
import { pickPort } from '../src/ports.js';

// A broker of its own with a SASL_PLAINTEXT listener and SCRAM-SHA-512, the way the chart's Kafka
// runs with kafka.sasl.enabled (credentials added when the storage is formatted), and the client
// settings every function reads (KAFKA_SASL_*) against it.
const USER = 'couponkill';
const PASSWORD = 'test-scram-password-0123456789';

describe('Kafka with SASL/SCRAM', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ck-kafka-scram-'));
  let broker: ChildProcess | undefined;
  let brokers: string[] = [];

  beforeAll(async () => {
    const home = await ensureKafka(() => undefined);
    const port = await pickPort();
    const controllerPort = await pickPort();
    const properties = join(dir, 'server.properties');
    const jaas = `org.apache.kafka.common.security.scram.ScramLoginModule required username="${USER}" password="${PASSWORD}";`;
    writeFileSync(
      properties,
      [
        'process.roles=broker,controller',
        'node.id=1',
        `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
        `listeners=SASL_PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
        `advertised.listeners=SASL_PLAINTEXT://127.0.0.1:${port}`,
        'controller.listener.names=CONTROLLER',
        'listener.security.protocol.map=CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT',
        'inter.broker.listener.name=SASL_PLAINTEXT',
        'sasl.enabled.mechanisms=SCRAM-SHA-512',
        'sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512',
        `listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=${jaas}`,
        `log.dirs=${join(dir, 'data')}`,
        'offsets.topic.replication.factor=1',
        'transaction.state.log.replication.factor=1',
        'transaction.state.log.min.isr=1',
        'share.coordinator.state.topic.replication.factor=1',
        'share.coordinator.state.topic.min.isr=1',
        'log.cleaner.dedupe.buffer.size=16777216',
        '',
      ].join('\n'),
    );
    const classpath = `${join(home, 'lib')}/*`;
    const format = spawnSync(
      'java',
      [
        '-Xmx256m',
        '-cp',
        classpath,
        'kafka.tools.StorageTool',
        'format',
        '-t',
        'c2NyYW0tdGVzdC1jbHVzdGVy',
        '-c',
        properties,
        '--add-scram',
        `SCRAM-SHA-512=[name=${USER},password=${PASSWORD}]`,
      ],
      { encoding: 'utf8' },
    );
    if (format.status !== 0) throw new Error(`format failed: ${format.stdout}${format.stderr}`);
    broker = spawn('java', ['-Xms64m', '-Xmx384m', '-cp', classpath, 'kafka.Kafka', properties], {
      stdio: 'ignore',
      env: { ...process.env, LOG_DIR: dir },
    });
    brokers = [`127.0.0.1:${port}`];
    const quiet = { error: () => undefined, warn: () => undefined, debug: () => undefined };
    const admin = createKafka({ brokers, clientId: 'scram-wait', security: settings(PASSWORD), logger: quiet }).admin();
    const until = Date.now() + 90_000;
    for (;;) {
      try {
        await admin.connect();
        await admin.describeCluster();
        break;
      } catch (err) {
        if (Date.now() > until) throw err;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    await admin.disconnect();
  }, 120_000);

  afterAll(async () => {
    if (broker !== undefined && broker.exitCode === null) {
      const exited = new Promise((r) => broker?.once('exit', r));
      broker.kill('SIGKILL');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  /** The settings a function reads from KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD. */
  function settings(password: string) {
    return kafkaSecuritySchema.parse({ sasl: { mechanism: 'scram-sha-512', username: USER, password } });
  }

  it('connects, creates a topic and produces with the configured credentials', async () => {
    const kafka = createKafka({ brokers, clientId: 'scram-test', security: settings(PASSWORD) });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ waitForLeaders: true, topics: [{ topic: 'scram-test', numPartitions: 1 }] });
      expect(await admin.listTopics()).toContain('scram-test');
    } finally {
      await admin.disconnect();
    }
    const producer = kafka.producer();
    await producer.connect();
    try {
      const [sent] = await producer.send({ topic: 'scram-test', messages: [{ value: 'x' }] });
      expect(sent?.errorCode).toBe(0);
    } finally {
      await producer.disconnect();
    }
  });

  it('is refused with a wrong password, and without SASL', async () => {
    const once = (security?: ReturnType<typeof settings>) =>
      new Kafka({
        brokers,
        clientId: 'scram-refused',
        logLevel: logLevel.NOTHING,
        retry: { retries: 0 },
        connectionTimeout: 2000,
        ...(security === undefined
          ? {}
          : { sasl: security.sasl as { mechanism: 'scram-sha-512'; username: string; password: string } }),
      }).admin();
    const wrong = once(settings('not-the-password'));
    await expect(wrong.connect()).rejects.toThrow(/SASL|authentication/i);
    const plain = once();
    await expect(plain.connect().then(() => plain.listTopics())).rejects.toThrow();
    await plain.disconnect().catch(() => undefined);
  });
});
