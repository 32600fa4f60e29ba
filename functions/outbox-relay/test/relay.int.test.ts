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
import { couponKeys, Sale, type SaleSettings } from '@couponkill/sale';
import { endpoints, uniqueName } from '@couponkill/testkit';
import type { Kafka } from 'kafkajs';
import { ulid } from 'ulid';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { INVALID_INTENT, OutboxRelay, type RelayOptions } from '../src/relay.js';

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

describe('outbox relay: poison entries, isolation, registry and blocking reads', () => {
  const logger = createLogger({ name: 'relay-test', level: 'silent' });
  const active: SaleSettings = {
    status: 'active',
    type: 'normal',
    perUserLimit: 5,
    startMs: 0,
    endMs: 0,
    totalStock: 100,
  };
  const clientName = uniqueName('relay-test');
  let redis: RedisClient;
  let kafka: Kafka;
  // Each test has a registry of its own, so its relays see only its coupons.
  let registry: string;
  let sale: Sale;
  const relays: OutboxRelay[] = [];
  const stoppers: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    redis = createRedis(redisOptionsSchema.parse({ url: endpoints().redisUrl }), clientName);
    kafka = createKafka({ brokers: endpoints().kafkaBrokers, clientId: 'relay-test', logger });
  });
  beforeEach(() => {
    registry = `ck:outboxes:${uniqueName('relay2')}`;
    sale = new Sale(redis, { outboxRegistry: registry });
  });
  afterEach(async () => {
    for (const relay of relays.splice(0)) await relay.stop();
    for (const stop of stoppers.splice(0)) await stop();
  });
  afterAll(() => redis.disconnect());

  async function topic(): Promise<string> {
    const name = uniqueName('relay2.grab.accepted');
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [{ topic: name, partitions: 2 }]);
    await admin.disconnect();
    return name;
  }

  /** Every event published to `name`, as it arrives. */
  async function watch(name: string): Promise<{ data: Array<{ grabId: string; seq: number }> }> {
    const seen = { data: [] as Array<{ grabId: string; seq: number }> };
    const consumer = kafka.consumer({ groupId: uniqueName('relay-check'), maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: name, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.data.push(decodeEvent(grabAccepted, fromKafkaMessage(message)).data);
      },
    });
    stoppers.push(() => consumer.disconnect());
    return seen;
  }

  async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async function relay(topicName: string, options: Partial<RelayOptions> = {}): Promise<OutboxRelay> {
    const producer = new EventProducer(kafka);
    await producer.connect();
    stoppers.push(() => producer.disconnect());
    const r = new OutboxRelay({
      redis,
      producer,
      logger,
      consumer: 'relay-b',
      batchSize: 100,
      idleMs: 5,
      claimIdleMs: 30_000,
      topic: topicName,
      registry,
      blockMs: 200,
      registryRefreshMs: 100,
      ...options,
    });
    relays.push(r);
    return r;
  }

  async function coupon(settings: SaleSettings = active): Promise<string> {
    const couponId = ulid();
    await sale.preheat(couponId, settings, async () => 0);
    return couponId;
  }

  it('relays a grab whose sequence number passed 1000 (it only grows) instead of halting on it', async () => {
    const name = await topic();
    const seen = await watch(name);
    const couponId = await coupon();
    await redis.hset(couponKeys(couponId).seqs, 'user-long', 1000);
    const grab = await sale.grab(couponId, 'user-long');
    if (!grab.ok) throw new Error(`grab refused: ${grab.refusal}`);
    expect(grab.seq).toBe(1001);
    const other = await sale.grab(couponId, 'user-short');
    if (!other.ok) throw new Error(`grab refused: ${other.refusal}`);

    const r = await relay(name);
    r.start();
    await until('both grabs published', () => seen.data.length >= 2);
    expect(seen.data.find((d) => d.grabId === grab.grabId)?.seq).toBe(1001);
    expect(await sale.outboxLength(couponId)).toBe(0);
    expect(r.stats.failures).toBe(0);
  });

  it('settles an entry that can never become an event and still publishes the valid ones of the batch', async () => {
    const name = await topic();
    const couponId = await coupon();
    const k = couponKeys(couponId);
    const good = await sale.grab(couponId, 'user-good');
    const bad = await sale.grab(couponId, 'user-bad');
    if (!good.ok || !bad.ok) throw new Error('grab refused');
    const stockBefore = await sale.stockLeft(couponId);
    // The bad grab's intent is unreadable as an event (a broken seq), its grab id and user are not.
    const entries = (await redis.xrange(k.outbox, '-', '+')) as Array<[string, string[]]>;
    const badEntry = entries.find(([, fields]) => fields.includes(bad.grabId));
    await redis.xdel(k.outbox, badEntry?.[0] ?? '');
    await redis.xadd(k.outbox, '*', 'grabId', bad.grabId, 'userId', 'user-bad', 'seq', 'many', 'acceptedAt', '1');
    // An entry without anything to compensate through.
    await redis.xadd(k.outbox, '*', 'junk', 'yes');

    const r = await relay(name);
    expect(await r.relayOnce()).toBe(1); // no error: one published, two settled
    expect(r.stats.poisoned).toBe(2);
    const settled = await sale.record(bad.grabId);
    expect(settled).toMatchObject({ status: 'FAILED', reason: INVALID_INTENT });
    expect(await sale.stockLeft(couponId)).toBe((stockBefore ?? 0) + 1); // its unit is back
    expect((await sale.counters(couponId)).holders.get('user-bad')).toBeUndefined(); // and the slot
    const dead = await redis.hgetall(k.dead);
    expect(Object.keys(dead)).toHaveLength(1);
    expect(JSON.parse(Object.values(dead)[0] ?? '{}')).toMatchObject({
      fields: { junk: 'yes' },
      reason: INVALID_INTENT,
    });
    expect(await sale.outboxLength(couponId)).toBe(0); // acknowledged and deleted, never retried
    expect(await redis.xpending(k.outbox, 'outbox-relay')).toEqual([0, null, null, null]);
    const published = await publishedIdsOf(name, 1);
    expect(published).toEqual([good.grabId]);
  });

  async function publishedIdsOf(name: string, expected: number): Promise<string[]> {
    const seen = await watch(name);
    await until(`${expected} events`, () => seen.data.length >= expected);
    return seen.data.map((d) => d.grabId);
  }

  it('goes on with the other coupons when one coupon’s outbox fails', async () => {
    const name = await topic();
    const seen = await watch(name);
    const broken = await coupon();
    const healthy = await coupon();
    // Not a stream any more: every read of it fails (WRONGTYPE), not only with NOGROUP.
    await redis.del(couponKeys(broken).outbox);
    await redis.set(couponKeys(broken).outbox, 'not a stream');
    const grabs = [];
    for (let i = 0; i < 3; i++) grabs.push(await sale.grab(healthy, `user-${i}`));

    const r = await relay(name);
    expect(await r.relayOnce()).toBe(3); // one pass: the broken coupon is counted, not thrown
    expect(r.stats.failures).toBeGreaterThan(0);
    r.start(); // and the running loop (blocking read over both outboxes) keeps relaying the healthy one
    const later = await sale.grab(healthy, 'user-late');
    if (!later.ok) throw new Error('grab refused');
    await until('the later grab published', () => seen.data.some((d) => d.grabId === later.grabId));
    expect(await sale.outboxLength(healthy)).toBe(0);
    await redis.del(couponKeys(broken).outbox);
  });

  it('keeps relaying the other coupons when one outbox breaks under the running blocking read', async () => {
    const name = await topic();
    const seen = await watch(name);
    const breaking = await coupon();
    const healthy = await coupon();
    const first = await sale.grab(breaking, 'user-1');
    if (!first.ok) throw new Error('grab refused');
    const r = await relay(name, { blockMs: 1000 });
    r.start();
    await until('the first grab published', () => seen.data.some((d) => d.grabId === first.grabId));

    // The read over both outboxes now fails as a whole; only the broken coupon may be held back.
    await redis.del(couponKeys(breaking).outbox);
    await redis.set(couponKeys(breaking).outbox, 'not a stream');
    const failuresBefore = r.stats.failures;
    for (let i = 0; i < 3; i++) {
      const grab = await sale.grab(healthy, `user-${i}`);
      if (!grab.ok) throw new Error('grab refused');
      await until('the healthy coupon’s grab published', () => seen.data.some((d) => d.grabId === grab.grabId));
    }
    expect(r.stats.failures).toBeGreaterThan(failuresBefore);
    await redis.del(couponKeys(breaking).outbox);
  });

  it('waits for new entries in one blocking read on a connection of its own, and picks up new coupons', async () => {
    const name = await topic();
    const seen = await watch(name);
    const r = await relay(name, { blockMs: 5000, registryRefreshMs: 200 });
    r.start();
    const couponId = await coupon(); // preheated after the relay started
    await until('the new coupon registered', () => r.coupons().includes(couponId));
    const blockName = `${clientName}-block`;
    await until('a blocked read', async () => {
      const clients = String(await redis.call('CLIENT', 'LIST'));
      return clients.split('\n').some((line) => line.includes(`name=${blockName} `) && line.includes('cmd=xreadgroup'));
    });
    const grab = await sale.grab(couponId, 'user-1');
    if (!grab.ok) throw new Error('grab refused');
    await until('the grab published', () => seen.data.some((d) => d.grabId === grab.grabId));
  });

  it('polls each outbox when it cannot block (Redis Cluster keeps outboxes in different slots)', async () => {
    const name = await topic();
    const seen = await watch(name);
    const r = await relay(name, { poll: true });
    r.start();
    const coupons = [await coupon(), await coupon()];
    const grabIds: string[] = [];
    for (const couponId of coupons) {
      const grab = await sale.grab(couponId, 'user-1');
      if (!grab.ok) throw new Error('grab refused');
      grabIds.push(grab.grabId);
    }
    await until('both grabs published', () => grabIds.every((id) => seen.data.some((d) => d.grabId === id)));
    const clients = String(await redis.call('CLIENT', 'LIST'));
    expect(clients).not.toContain(`name=${clientName}-block `);
  });

  it('drops drained coupons whose sale is over from the registry, and keeps the others', async () => {
    const name = await topic();
    const inactive = await coupon({ ...active, status: 'inactive' });
    const ended = await coupon({ ...active, endMs: Date.now() + 300 });
    const running = await coupon();
    const undrained = await coupon();
    const removedMeta = await coupon();
    const grab = await sale.grab(ended, 'user-1');
    if (!grab.ok) throw new Error('grab refused');
    await sale.grab(undrained, 'user-1');
    await redis.del(couponKeys(removedMeta).meta);
    await new Promise((r) => setTimeout(r, 350)); // the ended coupon's window closes
    await preheatInactive(undrained);

    const r = await relay(name);
    // Not drained yet: the ended and the undrained coupon have entries waiting.
    expect((await r.prune()).sort()).toEqual([inactive, removedMeta].sort());
    expect(await r.relayOnce()).toBe(2);
    expect((await r.prune()).sort()).toEqual([ended, undrained].sort());
    const left = await redis.smembers(registry);
    expect(left).toContain(running);
    for (const gone of [inactive, ended, undrained, removedMeta]) expect(left).not.toContain(gone);
    expect(r.coupons()).not.toContain(inactive);

    // Reactivated: the preheat registers it again and the relay reads it again.
    await sale.preheat(inactive, active, async () => 0);
    const again = await sale.grab(inactive, 'user-2');
    if (!again.ok) throw new Error('grab refused');
    expect(await r.relayOnce()).toBe(1);
    expect(r.coupons()).toContain(inactive);
  });

  async function preheatInactive(couponId: string): Promise<void> {
    await sale.preheat(couponId, { ...active, status: 'inactive' }, async () => 0);
  }
});
