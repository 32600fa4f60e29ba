import { locateUser } from '@couponkill/orders';
import { endpoints } from '@couponkill/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GrabAttempt, fireGrabs } from '../src/grab-load.js';
import { checkInvariants } from '../src/invariants.js';
import { settle, shuffle } from '../src/sale-load.js';
import { SaleRig } from '../src/sale-rig.js';

describe('seckill: grab → outbox → Kafka → order worker → shards, under concurrency', () => {
  const rig = new SaleRig(endpoints());
  beforeAll(async () => {
    await rig.start();
  }, 120_000);
  afterAll(async () => {
    await rig.stop();
  });

  it('20,000 grabs from 5,000 users for 1,000 units with limit 2 end with exactly 1,000 orders and every invariant', async () => {
    const coupon = await rig.coupon({ totalStock: 1000, perUserLimit: 2 });
    const users = Array.from({ length: 5000 }, (_, i) => `u${String(i).padStart(5, '0')}`);
    const tokens = new Map(await Promise.all(users.map(async (u) => [u, await rig.token(u)] as const)));
    const attempt = (userId: string): GrabAttempt => ({ userId, token: tokens.get(userId) ?? '' });
    // 4,500 users press twice; 500 hot users press 22 times at once: 20,000 grabs in all.
    const waves: GrabAttempt[][] = [];
    users.forEach((u, i) => {
      if (i < 4500) waves.push([attempt(u)], [attempt(u)]);
      else waves.push(Array.from({ length: 22 }, () => attempt(u)));
    });
    shuffle(waves);
    expect(waves.flat()).toHaveLength(20_000);

    const load = await fireGrabs(rig.grabUrl, coupon.id, waves, 128);
    const settleMs = await settle(rig, load.acceptedGrabIds);
    const report = await checkInvariants(
      { couponId: coupon.id, initialStock: 1000, perUserLimit: 2, acceptedGrabIds: load.acceptedGrabIds },
      rig.orders,
      rig.sale,
    );
    console.info(
      `grabs: ${waves.flat().length} in ${(load.ms / 1000).toFixed(1)} s (${Math.round((waves.flat().length / load.ms) * 1000)} req/s), ` +
        `statuses ${JSON.stringify(load.statuses)}, codes ${JSON.stringify(load.codes)}; all orders durable ${(settleMs / 1000).toFixed(2)} s after the last answer`,
    );
    console.info(report.line);

    expect(load.statuses[500] ?? 0).toBe(0);
    expect(load.codes['LIMIT_REACHED'] ?? 0).toBeGreaterThan(0); // hot users really hit the limit
    expect(load.acceptedGrabIds).toHaveLength(1000);
    expect(report).toMatchObject({
      oversell: 0,
      overLimit: 0,
      lost: 0,
      duplicate: 0,
      stranded: 0,
      orders: 1000,
      stockLeft: 0,
    });
    const records = await Promise.all(load.acceptedGrabIds.map((id) => rig.sale.record(id)));
    expect(records.every((r) => r?.status === 'SUCCEEDED' && r.orderId !== undefined)).toBe(true);

    // 2 databases × 4 tables: every table holds a fair share of the 1,000 orders (mean 125).
    const perTable = new Map<string, number>();
    for (const order of await rig.orders.allForCoupon(coupon.id)) {
      const at = locateUser(order.userId, rig.ordersSharding);
      perTable.set(`${at.database}/${at.table}`, (perTable.get(`${at.database}/${at.table}`) ?? 0) + 1);
    }
    console.info(`orders per shard table: ${JSON.stringify(Object.fromEntries([...perTable].sort()))}`);
    expect(perTable.size).toBe(8);
    for (const n of perTable.values()) expect(n).toBeGreaterThan(60);

    // Concurrent deliveries were written together, not one row per commit.
    const metrics = await (await fetch(`${rig.workerUrl}/metrics`)).text();
    const metric = (name: string) =>
      Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(metrics)?.[1] ?? NaN);
    const batches = metric('couponkill_order_batch_size_count');
    const rows = metric('couponkill_order_batch_size_sum');
    console.info(`order worker: ${rows} deliveries in ${batches} batches (mean ${(rows / batches).toFixed(1)})`);
    expect(rows).toBeGreaterThanOrEqual(1000);
    expect(rows / batches).toBeGreaterThan(1);
  }, 180_000);

  it("carries the caller's trace context from the grab request to the Kafka event", async () => {
    const coupon = await rig.coupon({ totalStock: 10 });
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const response = await fetch(`${rig.grabUrl}/api/v1/coupons/${coupon.id}/grab`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await rig.token('traced-user')}`, traceparent },
    });
    const { grabId } = (await response.json()) as { grabId: string };
    await settle(rig, [grabId]);
    const consumer = rig.kafka.consumer({ groupId: `${rig.prefix}-trace-check`, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: rig.topic, fromBeginning: true });
    const headers = await new Promise<Record<string, string>>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          if (message.headers?.['ce_id']?.toString() === grabId) {
            resolve(Object.fromEntries(Object.entries(message.headers).map(([k, v]) => [k, String(v)])));
          }
        },
      });
    });
    await consumer.disconnect();
    expect(headers).toMatchObject({
      ce_id: grabId,
      ce_type: 'com.couponkill.grab.accepted.v1',
      ce_traceparent: traceparent,
      ce_subject: coupon.id,
    });
  }, 60_000);
});
