import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { grabAccepted, newEvent, toHttp } from '@couponkill/events';
import { createCreateOrder } from '@couponkill/fn-create-order/app';
import { loadCreateOrderConfig } from '@couponkill/fn-create-order/config';
import { DEAD_LETTERED, DeadLetterIndex } from '@couponkill/fn-create-order/dead-letters';
import { couponKeys } from '@couponkill/sale';
import { endpoints, serve } from '@couponkill/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@couponkill/servers';
import { checkInvariants } from '../src/invariants.js';
import { SaleRig } from '../src/sale-rig.js';

const run = promisify(execFile);
const JOB_TOKEN = 'redrive-job-token-for-the-dead-letter-test';

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// A worker that refuses every delivery with a final 4xx: each grab is dead-lettered at once, so
// it is in neither the outbox nor the consumer lag — only the dead-letter index still holds it.
describe('dead-lettered grabs and their re-drive', () => {
  let rig: SaleRig;
  let env: Record<string, string>;
  let job: { url: string; close: () => Promise<void> };
  let closeJob: () => Promise<void>;
  let refusing: { url: string; close: () => Promise<void> };

  beforeAll(async () => {
    refusing = await serve((_req, res) =>
      res.writeHead(422, { 'content-type': 'application/json' }).end('{"error":{"code":"VALIDATION_FAILED"}}'),
    );
    rig = new SaleRig(endpoints());
    await rig.start({
      dispatcher: {
        sink: refusing.url,
        retry: 0,
        deadLetterIndex: { record: (grab, reason) => new DeadLetterIndex(rig.redis).record(grab, reason) },
      },
    });
    const config = join(mkdtempSync(join(tmpdir(), 'ck-redrive-')), 'create-order.yaml');
    writeFileSync(config, JSON.stringify({ orderSharding: rig.ordersSharding }));
    env = {
      MYSQL_URL: endpoints().mysqlUrl,
      COUPONS_DATABASE: rig.couponsDb,
      REDIS_URL: endpoints().redisUrl,
      CONFIG_FILE: config,
      LOG_LEVEL: 'warn',
    };
    const app = await createCreateOrder(loadCreateOrderConfig({ ...env, JOB_TOKEN }));
    job = await serve(app.handler);
    closeJob = () => app.close();
  }, 120_000);
  afterAll(async () => {
    await job.close();
    await closeJob();
    await rig.stop();
    await refusing.close();
  });

  /** A coupon of 10 units and `users` grabs of it, all dead-lettered. */
  async function deadLettered(users: number): Promise<{ couponId: string; grabIds: string[] }> {
    const coupon = await rig.coupon({ totalStock: 10, perUserLimit: 1 });
    const grabIds: string[] = [];
    for (let i = 0; i < users; i++) {
      const outcome = await rig.sale.grab(coupon.id, `user-${i}`);
      if (!outcome.ok) throw new Error(`grab refused: ${outcome.refusal}`);
      grabIds.push(outcome.grabId);
    }
    const dead = couponKeys(coupon.id).dead;
    await until('the grabs in the dead-letter index', async () => (await rig.redis.hlen(dead)) === users);
    for (const grabId of grabIds) expect((await rig.sale.record(grabId))?.status).toBe('QUEUED');
    const letter = JSON.parse((await rig.redis.hget(dead, grabIds[0] ?? '')) ?? '{}') as Record<string, unknown>;
    expect(letter).toMatchObject({ grabId: grabIds[0], couponId: coupon.id, userId: 'user-0', seq: 1 });
    expect(String(letter['reason'])).toContain('HTTP 422');
    return { couponId: coupon.id, grabIds };
  }

  async function invariantsHold(couponId: string, grabIds: string[]) {
    const report = await checkInvariants(
      { couponId, initialStock: 10, perUserLimit: 1, acceptedGrabIds: grabIds },
      rig.orders,
      rig.sale,
    );
    expect(report).toMatchObject({ oversell: 0, overLimit: 0, lost: 0, duplicate: 0, stranded: 0 });
    return report;
  }

  async function metricsText(): Promise<string> {
    return (await fetch(`${job.url}/metrics`)).text();
  }

  async function redriveCommand(couponId: string, mode: string) {
    const { stdout } = await run(
      process.execPath,
      [
        '--conditions=source',
        '--import',
        'tsx',
        'functions/create-order/src/cli.ts',
        '--coupon',
        couponId,
        '--mode',
        mode,
      ],
      { cwd: REPO_ROOT, env: { ...process.env, ...env } },
    );
    return JSON.parse(stdout) as { failed: number; ordered: number; alreadySettled: number; kept: unknown[] };
  }

  it('`redrive --mode compensate` gives the units and slots back and shows the owners FAILED', async () => {
    const { couponId, grabIds } = await deadLettered(3);
    expect(await rig.sale.stockLeft(couponId)).toBe(7); // held by grabs nothing will ever order
    const before = await checkInvariants(
      { couponId, initialStock: 10, perUserLimit: 1, acceptedGrabIds: grabIds },
      rig.orders,
      rig.sale,
    );
    expect(before).toMatchObject({ lost: 3, stranded: 3 }); // what a dead letter alone leaves behind

    expect(await redriveCommand(couponId, 'compensate')).toMatchObject({ failed: 3, ordered: 0, kept: [] });
    for (const grabId of grabIds) {
      expect(await rig.sale.record(grabId)).toMatchObject({ status: 'FAILED', reason: DEAD_LETTERED });
    }
    expect(await rig.sale.stockLeft(couponId)).toBe(10);
    expect((await rig.sale.counters(couponId)).holders.size).toBe(0); // every user may grab again
    expect(await rig.redis.hlen(couponKeys(couponId).dead)).toBe(0);
    const report = await invariantsHold(couponId, grabIds);
    expect(report).toMatchObject({ orders: 0, compensated: 3 });

    // Rerun: nothing left to do, nothing given back twice.
    expect(await redriveCommand(couponId, 'compensate')).toMatchObject({ failed: 0, ordered: 0, kept: [] });
    expect(await rig.sale.stockLeft(couponId)).toBe(10);
  }, 90_000);

  it('`POST /jobs/redrive` replays them into orders, once, and only with the job token', async () => {
    const { couponId, grabIds } = await deadLettered(2);
    const post = (authorization?: string) =>
      fetch(`${job.url}/jobs/redrive`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(authorization === undefined ? {} : { authorization }),
        },
        body: JSON.stringify({ couponIds: [couponId], mode: 'replay' }),
      });
    expect((await post()).status).toBe(401);
    expect((await post('Bearer not-the-job-token')).status).toBe(401);
    expect(await rig.redis.hlen(couponKeys(couponId).dead)).toBe(2); // refused before anything ran

    const response = await post(`Bearer ${JOB_TOKEN}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ reports: [{ couponId, ordered: 2, failed: 0, kept: [] }] });
    const orders = await rig.orders.allForCoupon(couponId);
    expect(orders.map((o) => o.grabId).sort()).toEqual([...grabIds].sort());
    for (const grabId of grabIds) expect((await rig.sale.record(grabId))?.status).toBe('SUCCEEDED');
    expect(await rig.sale.stockLeft(couponId)).toBe(8);
    expect(await rig.redis.hlen(couponKeys(couponId).dead)).toBe(0);
    expect(await invariantsHold(couponId, grabIds)).toMatchObject({ orders: 2 });

    expect(await metricsText()).toMatch(/couponkill_redriven_total\{outcome="ordered"[^}]*\} 2\n/);

    const again = await post(`Bearer ${JOB_TOKEN}`);
    expect(await again.json()).toMatchObject({ reports: [{ ordered: 0, failed: 0, alreadySettled: 0 }] });
    expect(await rig.orders.allForCoupon(couponId)).toHaveLength(2);
  }, 90_000);

  it('compensating never undoes an order that was written before the grab was dead-lettered', async () => {
    const coupon = await rig.coupon({ totalStock: 10, perUserLimit: 1 });
    const outcome = await rig.sale.grab(coupon.id, 'user-ordered');
    if (!outcome.ok) throw new Error('grab refused');
    await until('the grab dead-lettered', async () => (await rig.redis.hlen(couponKeys(coupon.id).dead)) === 1);
    // Its order was committed after all (the worker failed only after the commit).
    await rig.orders.insertBatch([
      {
        grabId: outcome.grabId,
        userId: 'user-ordered',
        couponId: coupon.id,
        seq: outcome.seq,
        faceValueCents: 100,
        minSpendCents: 0,
        acceptedAt: new Date(outcome.acceptedAt),
        validUntil: new Date(outcome.acceptedAt + 86_400_000),
      },
    ]);
    expect(await redriveCommand(coupon.id, 'compensate')).toMatchObject({ ordered: 1, failed: 0 });
    expect((await rig.sale.record(outcome.grabId))?.status).toBe('SUCCEEDED');
    expect(await rig.sale.stockLeft(coupon.id)).toBe(9);
    await invariantsHold(coupon.id, [outcome.grabId]);
  }, 90_000);

  it('the dead-letter sink route records what the KafkaSource gives up on', async () => {
    const coupon = await rig.coupon({ totalStock: 10, perUserLimit: 1 });
    const outcome = await rig.sale.grab(coupon.id, 'user-sink');
    if (!outcome.ok) throw new Error('grab refused');
    await until('the grab dead-lettered', async () => (await rig.redis.hlen(couponKeys(coupon.id).dead)) === 1);
    await rig.redis.del(couponKeys(coupon.id).dead);

    const data = {
      grabId: outcome.grabId,
      couponId: coupon.id,
      userId: 'user-sink',
      seq: outcome.seq,
      acceptedAt: outcome.acceptedAt,
    };
    const event = newEvent(grabAccepted, { id: data.grabId, source: '/test', subject: coupon.id, data });
    const request = toHttp(event);
    const response = await fetch(`${job.url}/dead-letters`, {
      method: 'POST',
      headers: {
        ...request.headers,
        'ce-knativeerrorcode': '422',
        'ce-knativeerrordata': Buffer.from('refused').toString('base64'),
      },
      body: request.body,
    });
    expect(response.status).toBe(200);
    const letter = JSON.parse((await rig.redis.hget(couponKeys(coupon.id).dead, data.grabId)) ?? '{}') as unknown;
    expect(letter).toMatchObject({ ...data, reason: 'HTTP 422: refused' });
    expect(await metricsText()).toMatch(/couponkill_dead_letters_total(\{[^}]*\})? 1\n/);
  });
});
