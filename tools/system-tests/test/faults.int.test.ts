import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auditCoupon } from '@couponkill/audit';
import { createOrders } from '@couponkill/fn-orders/app';
import { loadOrdersConfig } from '@couponkill/fn-orders/config';
import { consumerLag } from '@couponkill/events';
import { couponKeys } from '@couponkill/sale';
import { endpoints, serve } from '@couponkill/testkit';
import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { removeStateDir, startKafka } from '@couponkill/servers';
import { fireGrabs } from '../src/grab-load.js';
import { checkInvariants, type InvariantReport } from '../src/invariants.js';
import { pressingUsers, settle } from '../src/sale-load.js';
import { SaleRig } from '../src/sale-rig.js';

// Each fault ends with the same invariant line as the concurrency test.
async function invariants(rig: SaleRig, couponId: string, stock: number, accepted: string[]): Promise<InvariantReport> {
  const report = await checkInvariants(
    { couponId, initialStock: stock, perUserLimit: 2, acceptedGrabIds: accepted },
    rig.orders,
    rig.sale,
  );
  console.info(
    `${expect.getState().currentTestName}: ${report.line} (orders ${report.orders}, compensated ${report.compensated})`,
  );
  expect(report).toMatchObject({ oversell: 0, overLimit: 0, lost: 0, duplicate: 0, stranded: 0 });
  return report;
}

async function until(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('seckill under faults', () => {
  it('every event delivered three times still gives one order per grab', async () => {
    const rig = await new SaleRig(endpoints()).start({ dispatcher: { deliveries: 3 } });
    try {
      const coupon = await rig.coupon({ totalStock: 300 });
      const load = await fireGrabs(rig.grabUrl, coupon.id, await pressingUsers(rig, 'd', 400, 3), 64);
      await settle(rig, load.acceptedGrabIds);
      // Settled after the first copy of each event; wait for the other two before judging.
      await until(async () => rig.dispatcher.stats.delivered >= 900);
      const report = await invariants(rig, coupon.id, 300, load.acceptedGrabIds);
      expect(report.orders).toBe(300);
    } finally {
      await rig.stop();
    }
  }, 120_000);

  it('poison events go to the dead-letter topic and block nothing', async () => {
    const rig = await new SaleRig(endpoints()).start();
    try {
      const producer = rig.kafka.producer({ idempotent: true, createPartitioner: Partitioners.DefaultPartitioner });
      await producer.connect();
      await producer.send({
        topic: rig.topic,
        acks: -1,
        messages: [
          { key: 'x', value: 'not a cloud event' },
          {
            key: 'y',
            value: JSON.stringify({ grabId: 'g', couponId: 'c', userId: 'u', seq: 0, acceptedAt: 1 }),
            headers: {
              ce_id: 'bad-1',
              ce_type: 'com.couponkill.grab.accepted.v1',
              ce_source: '/test',
              ce_specversion: '1.0',
              'content-type': 'application/json',
            },
          },
        ],
      });
      await producer.disconnect();
      const coupon = await rig.coupon({ totalStock: 200 });
      const load = await fireGrabs(rig.grabUrl, coupon.id, await pressingUsers(rig, 'p', 300, 2), 64);
      await settle(rig, load.acceptedGrabIds);
      await invariants(rig, coupon.id, 200, load.acceptedGrabIds);
      await until(async () => rig.dispatcher.stats.deadLettered === 2);
      const admin = rig.kafka.admin();
      await admin.connect();
      const [dlq] = await admin.fetchTopicOffsets(`${rig.topic}.dlq`);
      await admin.disconnect();
      expect(Number(dlq?.high)).toBe(2);
    } finally {
      await rig.stop();
    }
  }, 120_000);

  it('the order worker killed with SIGKILL mid-sale loses nothing', async () => {
    const rig = await new SaleRig(endpoints()).start({ workerProcess: true, dispatcher: { ordering: 'ordered' } });
    try {
      const coupon = await rig.coupon({ totalStock: 600 });
      const waves = await pressingUsers(rig, 'k', 700, 2);
      const running = fireGrabs(rig.grabUrl, coupon.id, waves, 16);
      await until(async () => (await rig.orders.countByStatus(coupon.id)).UNUSED >= 50);
      const pid = rig.worker?.process.pid ?? 0;
      process.kill(-pid, 'SIGKILL'); // its whole process group, nothing survives
      await rig.worker?.process.exited;
      const ordersAtKill = (await rig.orders.countByStatus(coupon.id)).UNUSED;
      await new Promise((r) => setTimeout(r, 500));
      await rig.restartWorker();
      const load = await running;
      await settle(rig, load.acceptedGrabIds);
      const report = await invariants(rig, coupon.id, 600, load.acceptedGrabIds);
      console.info(`worker killed after ${ordersAtKill} orders; ${rig.dispatcher.stats.retried} deliveries retried`);
      expect(report.orders).toBe(600);
      expect(ordersAtKill).toBeLessThan(600);
      expect(rig.dispatcher.stats.retried).toBeGreaterThan(0); // deliveries really failed while it was down
    } finally {
      await rig.stop();
    }
  }, 180_000);

  it('Kafka stopped mid-sale and restarted: grabs keep being accepted and every one becomes an order', async () => {
    const profile = `kafka-fault-${process.pid}`;
    let kafka = await startKafka({ profile });
    const rig = await new SaleRig({ ...endpoints(), kafkaBrokers: kafka.endpoint }).start();
    try {
      const coupon = await rig.coupon({ totalStock: 500 });
      const first = await fireGrabs(rig.grabUrl, coupon.id, await pressingUsers(rig, 'f', 150, 2), 16);
      await until(async () => (await rig.orders.countByStatus(coupon.id)).UNUSED >= 200);
      await kafka.process?.stop(20_000);
      // Kafka is down: the grab path keeps accepting, the intents wait in the Redis outbox.
      const during = await fireGrabs(rig.grabUrl, coupon.id, await pressingUsers(rig, 'g', 250, 2), 16);
      await new Promise((r) => setTimeout(r, 500));
      const backlog = await rig.sale.outboxLength(coupon.id);
      console.info(
        `Kafka down: ${during.acceptedGrabIds.length} grabs accepted meanwhile, ${backlog} waiting in the outbox`,
      );
      expect(during.acceptedGrabIds.length).toBeGreaterThan(0);
      expect(backlog).toBe(during.acceptedGrabIds.length);
      kafka = await startKafka({ profile }); // same data, same ports
      const accepted = [...first.acceptedGrabIds, ...during.acceptedGrabIds];
      await settle(rig, accepted, 60_000).catch(async (err: unknown) => {
        console.error(
          'DEBUG relay',
          JSON.stringify(rig.relay.stats),
          'dispatcher',
          JSON.stringify(rig.dispatcher.stats),
          'outbox',
          await rig.sale.outboxLength(coupon.id),
        );
        throw err;
      });
      const load = { acceptedGrabIds: accepted };
      const report = await invariants(rig, coupon.id, 500, load.acceptedGrabIds);
      expect(report.orders).toBe(500);
    } finally {
      await rig.stop();
      await kafka.process?.stop(20_000);
      removeStateDir(profile);
    }
  }, 240_000);

  it('concurrent cancels of one order give its unit back exactly once', async () => {
    const rig = await new SaleRig(endpoints()).start();
    try {
      const coupon = await rig.coupon({ totalStock: 100 });
      const load = await fireGrabs(rig.grabUrl, coupon.id, await pressingUsers(rig, 'c', 60, 2), 32);
      await settle(rig, load.acceptedGrabIds);
      expect(await rig.sale.stockLeft(coupon.id)).toBe(0);
      const config = join(mkdtempSync(join(tmpdir(), 'ck-orders-')), 'orders.yaml');
      writeFileSync(config, JSON.stringify({ orderSharding: rig.ordersSharding }));
      const orders = await createOrders(
        loadOrdersConfig({
          MYSQL_URL: endpoints().mysqlUrl,
          REDIS_URL: endpoints().redisUrl,
          CONFIG_FILE: config,
          AUTH_ISSUER: 'https://auth.couponkill.test',
          AUTH_JWKS_URL: rig.jwksUrl,
        }),
      );
      const server = await serve(orders.handler);
      try {
        const [order] = await rig.orders.allForCoupon(coupon.id);
        const token = await rig.token(order?.userId ?? '');
        const answers = await Promise.all(
          Array.from({ length: 20 }, () =>
            fetch(`${server.url}/api/v1/orders/${order?.id}/cancel`, {
              method: 'POST',
              headers: { authorization: `Bearer ${token}` },
            }).then((r) => r.status),
          ),
        );
        expect(answers.filter((s) => s === 200)).toHaveLength(1);
        expect(answers.filter((s) => s === 409)).toHaveLength(19);
        expect(await rig.sale.stockLeft(coupon.id)).toBe(1);
        const report = await invariants(rig, coupon.id, 100, load.acceptedGrabIds);
        expect(report.orders).toBe(100);
      } finally {
        await server.close();
        await orders.close();
      }
    } finally {
      await rig.stop();
    }
  }, 120_000);

  it('Redis sale state wiped after the sale is rebuilt from MySQL by an audit', async () => {
    const rig = await new SaleRig(endpoints()).start();
    try {
      const coupon = await rig.coupon({ totalStock: 300, perUserLimit: 2 });
      const load = await fireGrabs(rig.grabUrl, coupon.id, await pressingUsers(rig, 'w', 100, 3), 32);
      await settle(rig, load.acceptedGrabIds);
      expect(load.acceptedGrabIds).toHaveLength(200); // 100 users × limit 2
      const k = couponKeys(coupon.id);
      await rig.redis.del(k.meta, k.stock, k.holders, k.seqs, k.outbox);

      const admin = rig.kafka.admin();
      await admin.connect();
      const deps = {
        coupons: rig.coupons,
        orders: rig.orders,
        sale: rig.sale,
        consumerLag: async () => (await consumerLag(admin, `${rig.prefix}-create-order`, rig.topic)).total,
      };
      const before = await auditCoupon(deps, coupon.id, { repair: false });
      expect(before).toMatchObject({
        verdict: 'DRIFT',
        repaired: false,
        redis: { present: false, expectedStockLeft: 100 },
      });
      const repaired = await auditCoupon(deps, coupon.id, { repair: true });
      expect(repaired.repaired).toBe(true);
      expect(await auditCoupon(deps, coupon.id, { repair: false })).toMatchObject({ verdict: 'CONSISTENT' });
      await admin.disconnect();
      console.info(`audit: ${repaired.actions.join('; ')}`);

      await invariants(rig, coupon.id, 300, load.acceptedGrabIds);
      // The rebuilt state enforces the sale as before: a holder is at the limit, a newcomer wins.
      const holder = await rig.orders.allForCoupon(coupon.id).then((o) => o[0]?.userId ?? '');
      const again = await fireGrabs(rig.grabUrl, coupon.id, [[{ userId: holder, token: await rig.token(holder) }]], 1);
      expect(again.codes).toEqual({ LIMIT_REACHED: 1 });
      const newcomer = await fireGrabs(
        rig.grabUrl,
        coupon.id,
        [[{ userId: 'w-new', token: await rig.token('w-new') }]],
        1,
      );
      expect(newcomer.statuses).toEqual({ 202: 1 });
      // …and its grab still flows to an order: the relay recreates the consumer group it lost.
      await settle(rig, newcomer.acceptedGrabIds);
      const after = await invariants(rig, coupon.id, 300, [...load.acceptedGrabIds, ...newcomer.acceptedGrabIds]);
      expect(after.orders).toBe(201);
    } finally {
      await rig.stop();
    }
  }, 120_000);
});
