import {
  createKafka,
  decodeEvent,
  ensureTopics,
  EventProducer,
  fromKafkaMessage,
  grabAccepted,
} from '@couponkill/events';
import { createLogger } from '@couponkill/logging';
import { createRedis, type RedisClient, redisOptionsSchema } from '@couponkill/redis';
import { couponKeys, Sale } from '@couponkill/sale';
import { endpoints, uniqueName } from '@couponkill/testkit';
import type { Kafka } from 'kafkajs';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboxRelay } from '../src/relay.js';

// What a relay that died between reading its outbox and acknowledging it leaves behind: entries
// pending for its consumer name. The next relay resumes them — its own at once, another's once
// they have been idle long enough to be claimed.
describe('outbox relay on real Redis and Kafka', () => {
  const registry = `ck:outboxes:${uniqueName('relay')}`;
  const topic = uniqueName('relay.grab.accepted');
  const logger = createLogger({ name: 'relay-test', level: 'silent' });
  let redis: RedisClient;
  let kafka: Kafka;
  let sale: Sale;

  beforeAll(async () => {
    redis = createRedis(redisOptionsSchema.parse({ url: endpoints().redisUrl }));
    sale = new Sale(redis, { outboxRegistry: registry });
    kafka = createKafka({ brokers: endpoints().kafkaBrokers, clientId: 'relay-test', logger });
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [{ topic, partitions: 2 }]);
    await admin.disconnect();
  });
  afterAll(() => redis.disconnect());

  async function grabs(n: number): Promise<{ couponId: string; grabIds: string[] }> {
    const couponId = ulid();
    await sale.preheat(
      couponId,
      {
        status: 'active',
        type: 'normal',
        perUserLimit: 1,
        startMs: 0,
        endMs: 0,
        totalStock: n,
      },
      async () => 0,
    );
    const grabIds: string[] = [];
    for (let i = 0; i < n; i++) {
      const outcome = await sale.grab(couponId, `user-${i}`);
      if (outcome.ok) grabIds.push(outcome.grabId);
    }
    return { couponId, grabIds };
  }

  /** Reads entries as `consumer` without acknowledging them: a relay that died right there. */
  async function readAndDie(couponId: string, consumer: string): Promise<number> {
    const stream = couponKeys(couponId).outbox;
    await redis.xgroup('CREATE', stream, 'outbox-relay', '0', 'MKSTREAM');
    const reply = (await redis.xreadgroup(
      'GROUP',
      'outbox-relay',
      consumer,
      'COUNT',
      100,
      'STREAMS',
      stream,
      '>',
    )) as Array<[string, unknown[]]>;
    return reply[0]?.[1].length ?? 0;
  }

  async function publishedIds(expected: number): Promise<string[]> {
    const ids: string[] = [];
    const consumer = kafka.consumer({ groupId: uniqueName('relay-check'), maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          ids.push(decodeEvent(grabAccepted, fromKafkaMessage(message)).data.grabId);
          if (ids.length >= expected) resolve();
        },
      });
    });
    await consumer.disconnect();
    return ids;
  }

  function relay(consumer: string, claimIdleMs: number): OutboxRelay {
    const producer = new EventProducer(kafka);
    return new OutboxRelay({
      redis,
      producer,
      logger,
      consumer,
      batchSize: 100,
      idleMs: 5,
      claimIdleMs,
      topic,
      registry,
    });
  }

  it('resumes its own pending entries after a restart, and claims a dead relay’s once they are idle', async () => {
    const own = await grabs(5);
    const orphaned = await grabs(4);
    expect(await readAndDie(own.couponId, 'relay-a')).toBe(5);
    expect(await readAndDie(orphaned.couponId, 'relay-gone')).toBe(4);

    const restarted = relay('relay-a', 200); // the same pod name as before the crash
    const moved = await restarted.relayOnce(false);
    expect(moved).toBe(5); // its own pending entries, without waiting
    await new Promise((r) => setTimeout(r, 250));
    expect(await restarted.relayOnce(true)).toBe(4); // the dead relay's, claimed after 200 ms idle

    const published = await publishedIds(9);
    expect(published.sort()).toEqual([...own.grabIds, ...orphaned.grabIds].sort());
    expect(await sale.outboxLength(own.couponId)).toBe(0); // acknowledged and deleted
    expect(await sale.outboxLength(orphaned.couponId)).toBe(0);
    expect(await restarted.relayOnce(true)).toBe(0); // nothing left, nothing sent twice
  });
});
