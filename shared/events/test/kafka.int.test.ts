import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpoints, uniqueName } from '@couponkill/testkit';
import { type Admin, type Consumer, type Kafka, Partitioners } from 'kafkajs';
import {
  consumeEvents,
  consumerLag,
  createKafka,
  decodeEvent,
  ensureTopics,
  EventProducer,
  grabAccepted,
  newEvent,
  type ReceivedEvent,
} from '../src/index.js';

function event(i: number) {
  const data = { grabId: `g${i}`, couponId: `c${i % 3}`, userId: `u${i}`, seq: 1, acceptedAt: 1_790_000_000_000 + i };
  return {
    event: newEvent(grabAccepted, { id: data.grabId, source: '/couponkill/test', subject: data.couponId, data }),
    key: data.couponId,
  };
}

async function until(check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('kafkajs against a real Kafka broker', () => {
  const topic = uniqueName('coupon.test');
  const groupId = uniqueName('order-worker-test');
  let kafka: Kafka;
  let admin: Admin;
  let producer: EventProducer;
  let consumer: Consumer | undefined;
  const received: ReceivedEvent[] = [];
  const poison: string[] = [];

  beforeAll(async () => {
    kafka = createKafka({ brokers: endpoints().kafkaBrokers, clientId: 'events-int-test' });
    admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [{ topic, partitions: 4 }]);
    producer = new EventProducer(kafka);
    await producer.connect();
  });
  afterAll(async () => {
    await consumer?.disconnect();
    await producer.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('creates the topic with 4 partitions', async () => {
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(metadata.topics[0]?.partitions).toHaveLength(4);
  });

  it('produces idempotently with acks=-1, consumes as a group, commits, and reports lag', async () => {
    const sent = Array.from({ length: 40 }, (_, i) => event(i));
    const metadata = await producer.send(topic, sent);
    expect(metadata.every((m) => m.errorCode === 0)).toBe(true);
    expect((await consumerLag(admin, groupId, topic)).total).toBe(40); // never committed: all 40 count

    consumer = await consumeEvents(kafka, {
      groupId,
      topics: [topic],
      handle: async (r) => {
        received.push(r);
      },
      onPoison: async (p) => {
        poison.push(p.offset);
      },
    });
    await until(() => received.length >= 40);
    await until(async () => (await consumerLag(admin, groupId, topic)).total === 0);

    const ids = received.map((r) => decodeEvent(grabAccepted, r.event).data.grabId).sort();
    expect(ids).toEqual(sent.map((s) => s.event.id).sort());
    expect(new Set(ids).size).toBe(40); // each exactly once
    // One key always lands in one partition, so per-coupon order is kept.
    const partitionsOfC0 = new Set(received.filter((r) => r.event.subject === 'c0').map((r) => r.partition));
    expect(partitionsOfC0.size).toBe(1);
    expect(poison).toEqual([]);

    const description = await admin.describeGroups([groupId]);
    expect(description.groups[0]?.state).toBe('Stable');
    expect(description.groups[0]?.members).toHaveLength(1);
  });

  it('routes a record that is not a CloudEvent to onPoison and keeps consuming', async () => {
    const raw = kafka.producer({ idempotent: true, createPartitioner: Partitioners.DefaultPartitioner });
    await raw.connect();
    await raw.send({ topic, acks: -1, messages: [{ key: 'c0', value: 'not an event' }] });
    await raw.disconnect();
    await producer.send(topic, [event(100)]);
    await until(async () => (await consumerLag(admin, groupId, topic)).total === 0);
    expect(poison).toHaveLength(1);
    expect(received.map((r) => r.event.id)).toContain('g100');
  });

  it('counts lag per partition when the group is behind', async () => {
    await consumer?.disconnect();
    consumer = undefined;
    await producer.send(
      topic,
      Array.from({ length: 10 }, (_, i) => event(200 + i)),
    );
    const lag = await consumerLag(admin, groupId, topic);
    expect(lag.total).toBe(10);
    expect(lag.partitions.reduce((sum, p) => sum + p.end - p.committed, 0)).toBe(10);
  });
});
