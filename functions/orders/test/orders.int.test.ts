import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPool } from '@couponkill/db';
import type { FunctionApp } from '@couponkill/http';
import { createLogger } from '@couponkill/logging';
import { locateUser, OrderStore, orderShardingSchema } from '@couponkill/orders';
import { createRedis, redisOptionsSchema } from '@couponkill/redis';
import { couponKeys, Sale } from '@couponkill/sale';
import {
  callJson,
  endpoints,
  type Json,
  type JwksFixture,
  serveApp,
  type ServedApp,
  serveJwks,
  uniqueName,
} from '@couponkill/testkit';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrders } from '../src/app.js';
import { loadOrdersConfig } from '../src/config.js';
import { OrderLifecycle } from '../src/lifecycle.js';

// orders served over HTTP against real Redis and real sharded MySQL. Each order is made the way
// the pipeline makes it: a real grab in the sale, the order written by `insertBatch`, the grab
// marked SUCCEEDED with it; so stock, the user's slot and the grab record are all consistent.
const JOB_TOKEN = randomBytes(24).toString('base64url'); // 32 characters
const DAY_MS = 24 * 3600 * 1000;

type Running = ServedApp<FunctionApp>;

describe('orders: list, detail, cancel, use and the expiry job', () => {
  const prefix = uniqueName('ck_orders');
  const sharding = orderShardingSchema.parse({
    databases: [{ database: `${prefix}_o0` }, { database: `${prefix}_o1` }],
    tablesPerDatabase: 2,
  });
  const redis = createRedis(redisOptionsSchema.parse({ url: endpoints().redisUrl }), 'orders-test');
  // A registry of its own, so no outbox relay of another test drains this file's grabs.
  const registry = `ck:outboxes:${prefix}`;
  const sale = new Sale(redis, { outboxRegistry: registry });
  const grabs = new Map<string, string[]>(); // couponId → grab ids, for cleanup
  const running: Running[] = [];
  let orders: OrderStore;
  let jwks: JwksFixture;
  let fn: Running;

  async function start(env: Record<string, string> = {}): Promise<Running> {
    const configFile = join(mkdtempSync(join(tmpdir(), 'ck-orders-')), 'orders.yaml');
    writeFileSync(configFile, JSON.stringify({ orderSharding: sharding }));
    const app = await createOrders(
      loadOrdersConfig({
        MYSQL_URL: endpoints().mysqlUrl,
        REDIS_URL: endpoints().redisUrl,
        ...jwks.env,
        CONFIG_FILE: configFile,
        JOB_TOKEN,
        ...env,
      }),
    );
    const served = await serveApp(app);
    running.push(served);
    return served;
  }

  const bearer = (userId: string, role: 'user' | 'admin' = 'user') => jwks.bearer(userId, role);

  /** A coupon on sale: its sale state in Redis (orders copy the terms, so no coupon row is needed). */
  async function coupon(totalStock: number, perUserLimit: number): Promise<string> {
    const couponId = ulid();
    grabs.set(couponId, []);
    await sale.preheat(
      couponId,
      { status: 'active', type: 'normal', perUserLimit, startMs: 0, endMs: 0, totalStock },
      async () => 0,
    );
    return couponId;
  }

  /** A grab that won and its order, written as the order worker writes them. */
  async function issue(couponId: string, userId: string, validUntil?: Date) {
    const outcome = await sale.grab(couponId, userId);
    if (!outcome.ok) throw new Error(`grab refused: ${outcome.refusal}`);
    grabs.get(couponId)?.push(outcome.grabId);
    const written = await orders.insertBatch([
      {
        grabId: outcome.grabId,
        userId,
        couponId,
        seq: outcome.seq,
        faceValueCents: 10_000,
        minSpendCents: 50_000,
        acceptedAt: new Date(outcome.acceptedAt),
        validUntil: validUntil ?? new Date(outcome.acceptedAt + 7 * DAY_MS),
      },
    ]);
    const orderId = written.get(outcome.grabId);
    if (orderId === undefined) throw new Error('order not written');
    expect(await sale.succeed(outcome.grabId, userId, orderId)).toBe('marked');
    return { grabId: outcome.grabId, orderId };
  }

  async function stored(userId: string, orderId: string) {
    const order = await orders.get(userId, orderId);
    if (order === undefined) throw new Error(`no order ${orderId}`);
    return order;
  }

  const held = async (couponId: string, userId: string) =>
    Number((await redis.hget(couponKeys(couponId).holders, userId)) ?? 0);

  beforeAll(async () => {
    await OrderStore.migrate(endpoints().mysqlUrl, sharding);
    orders = OrderStore.open(endpoints().mysqlUrl, sharding, 4);
    jwks = await serveJwks();
    fn = await start();
  });
  afterAll(async () => {
    for (const s of running) {
      await s.close();
      await s.app.close();
    }
    await jwks?.close();
    await orders?.close();
    for (const [couponId, ids] of grabs) {
      await sale.remove(couponId);
      if (ids.length > 0) await redis.del(...ids.map((id) => couponKeys(couponId).grab(id)));
    }
    await redis.del(registry);
    redis.disconnect();
    const server = createPool({ url: endpoints().mysqlUrl, connectionLimit: 1 });
    for (const { database } of sharding.databases) await server.query(`DROP DATABASE IF EXISTS \`${database}\``);
    await server.end();
  });

  it('is ready when Redis and every order database answer', async () => {
    const ready = await callJson(fn.url, 'GET', '/health/readiness');
    expect(ready.status).toBe(200);
    expect(Object.keys(ready.body?.['checks'] as object).sort()).toEqual(['mysql-orders-0', 'mysql-orders-1', 'redis']);
  });

  it('lists the caller’s orders newest first, page by page, and shows one; others’ look like no order', async () => {
    const couponId = await coupon(20, 10);
    const alice = uniqueName('alice');
    const bob = uniqueName('bob');
    const mine: string[] = [];
    for (let i = 0; i < 5; i++) mine.push((await issue(couponId, alice)).orderId);
    const bobs = await issue(couponId, bob);
    const asAlice = await bearer(alice);
    const asBob = await bearer(bob);

    const seen: Json[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await callJson(
        fn.url,
        'GET',
        `/api/v1/orders?limit=2${cursor === null ? '' : `&cursor=${cursor}`}`,
        { headers: asAlice },
      );
      expect(page.status).toBe(200);
      expect(page.body?.['items'].length).toBeLessThanOrEqual(2);
      seen.push(...(page.body?.['items'] as Json[]));
      cursor = page.body?.['nextCursor'] as string | null;
      pages++;
    } while (cursor !== null && pages < 10);
    expect(pages).toBe(3);
    expect(seen.map((o) => o['id'] as string)).toEqual([...mine].sort().reverse());
    expect(seen[0]).toEqual({
      id: expect.any(String),
      grabId: expect.stringMatching(new RegExp(`^${couponId}_`)),
      couponId,
      status: 'UNUSED',
      faceValue: 10_000,
      minSpend: 50_000,
      validUntil: expect.stringMatching(/Z$/),
      createdAt: expect.stringMatching(/Z$/),
    });

    const one = await callJson(fn.url, 'GET', `/api/v1/orders/${mine[0]}`, { headers: asAlice });
    expect(one.status).toBe(200);
    expect(one.body).toEqual(seen.find((o) => o['id'] === mine[0]));

    const bobsList = await callJson(fn.url, 'GET', '/api/v1/orders', { headers: asBob });
    expect(bobsList.body).toEqual({ items: [expect.objectContaining({ id: bobs.orderId })], nextCursor: null });

    const hidden = [
      ['another user’s order', 'GET', `/api/v1/orders/${mine[0]}`],
      ['cancelling another user’s order', 'POST', `/api/v1/orders/${mine[0]}/cancel`],
      ['using another user’s order', 'POST', `/api/v1/orders/${mine[1]}/use`],
      ['an unknown order', 'GET', `/api/v1/orders/${ulid()}`],
      ['a malformed id', 'GET', '/api/v1/orders/not-an-order'],
    ] as const;
    const bodies = [];
    for (const [name, method, path] of hidden) {
      const response = await callJson(fn.url, method, path, { headers: asBob });
      expect.soft(response.status, name).toBe(404);
      bodies.push({ ...(response.body?.['error'] as object), requestId: undefined });
    }
    expect(new Set(bodies.map((b) => JSON.stringify(b))).size).toBe(1);
    expect(bodies[0]).toMatchObject({ code: 'NOT_FOUND' });
    // Bob's tries changed nothing.
    expect((await orders.get(alice, mine[0] ?? ''))?.status).toBe('UNUSED');
    expect((await orders.get(alice, mine[1] ?? ''))?.status).toBe('UNUSED');

    for (const query of ['limit=0', 'limit=101', 'limit=x', 'cursor=nope']) {
      const bad = await callJson(fn.url, 'GET', `/api/v1/orders?${query}`, { headers: asAlice });
      expect.soft(bad.status, query).toBe(400);
      expect.soft(bad.body?.['error']?.code, query).toBe('VALIDATION_FAILED');
    }
    for (const [method, path] of [
      ['GET', '/api/v1/orders'],
      ['GET', `/api/v1/orders/${mine[0]}`],
      ['POST', `/api/v1/orders/${mine[0]}/cancel`],
    ] as const) {
      expect.soft((await callJson(fn.url, method, path)).status, path).toBe(401);
    }
  });

  it('cancels an order once under 20 concurrent cancels: exactly one unit and one slot come back', async () => {
    const couponId = await coupon(10, 2);
    const carol = uniqueName('carol');
    const { grabId, orderId } = await issue(couponId, carol);
    await issue(couponId, carol);
    expect(await sale.stockLeft(couponId)).toBe(8);
    expect(await held(couponId, carol)).toBe(2);

    const asCarol = await bearer(carol);
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        callJson(fn.url, 'POST', `/api/v1/orders/${orderId}/cancel`, { headers: asCarol }),
      ),
    );
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([200, ...Array<number>(19).fill(409)]);
    expect(answers.find((a) => a.status === 200)?.body).toMatchObject({ id: orderId, status: 'CANCELLED' });
    for (const lost of answers.filter((a) => a.status === 409)) {
      expect(lost.body?.['error']).toMatchObject({ code: 'CONFLICT', message: 'This order is already cancelled.' });
    }

    expect(await sale.stockLeft(couponId)).toBe(9);
    expect(await held(couponId, carol)).toBe(1);
    expect(await sale.record(grabId)).toMatchObject({ status: 'CANCELLED', reason: 'CANCELLED_BY_USER' });
    expect((await callJson(fn.url, 'GET', `/api/v1/orders/${orderId}`, { headers: asCarol })).body?.['status']).toBe(
      'CANCELLED',
    );

    // Later cancels and uses are refused and give nothing back again.
    expect((await callJson(fn.url, 'POST', `/api/v1/orders/${orderId}/cancel`, { headers: asCarol })).status).toBe(409);
    expect((await callJson(fn.url, 'POST', `/api/v1/orders/${orderId}/use`, { headers: asCarol })).status).toBe(409);
    expect(await sale.stockLeft(couponId)).toBe(9);
    expect(await held(couponId, carol)).toBe(1);
    // The slot really is free: carol may grab again within her limit of 2.
    const regrab = await sale.grab(couponId, carol);
    expect(regrab.ok).toBe(true);
    if (regrab.ok) grabs.get(couponId)?.push(regrab.grabId);
  });

  it('uses an unused order once; a used order can be neither used again nor cancelled', async () => {
    const couponId = await coupon(10, 2);
    const dave = uniqueName('dave');
    const { orderId } = await issue(couponId, dave);
    const asDave = await bearer(dave);

    const used = await callJson(fn.url, 'POST', `/api/v1/orders/${orderId}/use`, { headers: asDave });
    expect(used.status).toBe(200);
    expect(used.body).toMatchObject({ id: orderId, status: 'USED' });

    const again = await callJson(fn.url, 'POST', `/api/v1/orders/${orderId}/use`, { headers: asDave });
    expect(again.status).toBe(409);
    expect(again.body?.['error']).toMatchObject({ code: 'CONFLICT', message: 'This order is already used.' });
    const cancel = await callJson(fn.url, 'POST', `/api/v1/orders/${orderId}/cancel`, { headers: asDave });
    expect(cancel.status).toBe(409);
    expect(cancel.body?.['error']?.message).toMatch(/used; it can no longer be cancelled/);

    expect((await orders.get(dave, orderId))?.status).toBe('USED');
    expect(await sale.stockLeft(couponId)).toBe(9);
    expect(await held(couponId, dave)).toBe(1);
  });

  it('refuses a past-due order with a clear 409 and expires it, giving its unit back once', async () => {
    const couponId = await coupon(10, 2);
    const erin = uniqueName('erin');
    const validUntil = new Date(Date.now() - 60_000);
    const { grabId, orderId } = await issue(couponId, erin, validUntil);
    const asErin = await bearer(erin);

    const use = await callJson(fn.url, 'POST', `/api/v1/orders/${orderId}/use`, { headers: asErin });
    expect(use.status).toBe(409);
    expect(use.body?.['error']).toMatchObject({
      code: 'CONFLICT',
      message: `This order expired at ${validUntil.toISOString()}; it can no longer be used.`,
    });
    expect((await callJson(fn.url, 'GET', `/api/v1/orders/${orderId}`, { headers: asErin })).body?.['status']).toBe(
      'EXPIRED',
    );
    expect(await sale.record(grabId)).toMatchObject({ status: 'CANCELLED', reason: 'EXPIRED' });
    expect(await sale.stockLeft(couponId)).toBe(10);
    expect(await held(couponId, erin)).toBe(0);

    const cancel = await callJson(fn.url, 'POST', `/api/v1/orders/${orderId}/cancel`, { headers: asErin });
    expect(cancel.status).toBe(409);
    expect(cancel.body?.['error']?.message).toMatch(/expired at .*; it can no longer be cancelled/);
    expect(await sale.stockLeft(couponId)).toBe(10);
  });

  it('runs the expiry job only for the job token or an admin', async () => {
    const path = '/jobs/expire-orders';
    const refused = [
      ['no token', {}, 401, 'UNAUTHENTICATED'],
      ['a wrong job token', { authorization: `Bearer ${JOB_TOKEN.slice(1)}x` }, 401, 'UNAUTHENTICATED'],
      ['a user’s token', await bearer(uniqueName('mallory')), 403, 'FORBIDDEN'],
    ] as const;
    for (const [name, headers, status, code] of refused) {
      const response = await callJson(fn.url, 'POST', path, { headers });
      expect.soft(response.status, name).toBe(status);
      expect.soft(response.body?.['error']?.code, name).toBe(code);
    }
    // Nothing is past due right now (the order above was expired when it was used).
    const admin = await callJson(fn.url, 'POST', path, { headers: await bearer(uniqueName('root'), 'admin') });
    expect(admin).toEqual({ status: 200, body: { expired: 0, released: 0, more: false } });
    const job = await callJson(fn.url, 'POST', path, { headers: { authorization: `Bearer ${JOB_TOKEN}` } });
    expect(job).toEqual({ status: 200, body: { expired: 0, released: 0, more: false } });
    expect((await callJson(fn.url, 'GET', path, { headers: { authorization: `Bearer ${JOB_TOKEN}` } })).status).toBe(
      405,
    );
  });

  it('expires past-due orders over every shard, a bounded number per call, each unit given back once', async () => {
    const couponId = await coupon(50, 1);
    // Seven users, at least three in each database, so the job has to look in both.
    const users: string[] = [];
    const inDatabase = [0, 0];
    for (let i = 0; users.length < 7; i++) {
      const user = uniqueName(`late${i}`);
      const db = locateUser(user, sharding).database;
      if ((inDatabase[db] ?? 0) >= 4) continue;
      inDatabase[db] = (inDatabase[db] ?? 0) + 1;
      users.push(user);
    }
    const past = new Date(Date.now() - DAY_MS);
    const late = [];
    for (const user of users) late.push({ user, ...(await issue(couponId, user, past)) });
    const onTime = uniqueName('ontime');
    const current = await issue(couponId, onTime);
    expect(await sale.stockLeft(couponId)).toBe(42);
    const jobHeaders = { authorization: `Bearer ${JOB_TOKEN}` };

    // Bounded: with a limit of 2, one call expires the two earliest and says there are more.
    const bounded = await start({ EXPIRE_BATCH_LIMIT: '2' });
    const first = await callJson(bounded.url, 'POST', '/jobs/expire-orders', { headers: jobHeaders });
    expect(first).toEqual({ status: 200, body: { expired: 2, released: 2, more: true } });
    expect(await sale.stockLeft(couponId)).toBe(44);

    // Two runs at once over the remaining five: every order expires once, every unit comes back once.
    const both = await Promise.all([
      callJson(fn.url, 'POST', '/jobs/expire-orders', { headers: jobHeaders }),
      callJson(fn.url, 'POST', '/jobs/expire-orders', { headers: jobHeaders }),
    ]);
    expect(both.map((r) => r.status)).toEqual([200, 200]);
    expect(both.reduce((n, r) => n + Number(r.body?.['expired']), 0)).toBe(5);
    expect(both.reduce((n, r) => n + Number(r.body?.['released']), 0)).toBe(5);

    const again = await callJson(fn.url, 'POST', '/jobs/expire-orders', { headers: jobHeaders });
    expect(again).toEqual({ status: 200, body: { expired: 0, released: 0, more: false } });

    expect(await sale.stockLeft(couponId)).toBe(49);
    for (const { user, grabId, orderId } of late) {
      expect.soft((await orders.get(user, orderId))?.status, user).toBe('EXPIRED');
      expect.soft(await sale.record(grabId), user).toMatchObject({ status: 'CANCELLED', reason: 'EXPIRED' });
      expect.soft(await held(couponId, user), user).toBe(0);
    }
    expect((await orders.get(onTime, current.orderId))?.status).toBe('UNUSED');
    expect(await held(couponId, onTime)).toBe(1);
  });

  it('decides every move by the one UPDATE that wins, also when all callers read the order as UNUSED', async () => {
    // Over HTTP most concurrent callers already read CANCELLED; here all of them hold the same
    // UNUSED snapshot, so only the conditional UPDATE can keep the unit from coming back twice.
    const log = createLogger({ name: 'orders-test', level: 'silent' });
    const counter = () => ({
      n: 0,
      inc() {
        this.n++;
      },
    });
    const stats = { expired: counter(), releaseMissed: counter() };
    const lifecycle = new OrderLifecycle(orders, sale, stats);
    const couponId = await coupon(20, 2);
    const frank = uniqueName('frank');
    const first = await issue(couponId, frank);
    const second = await issue(couponId, frank);
    expect(await sale.stockLeft(couponId)).toBe(18);

    const snapshot = await stored(frank, first.orderId);
    const cancels = await Promise.allSettled(Array.from({ length: 20 }, () => lifecycle.cancel(snapshot, log)));
    expect(cancels.filter((c) => c.status === 'fulfilled')).toHaveLength(1);
    for (const c of cancels.filter((c) => c.status === 'rejected'))
      expect(c.reason).toMatchObject({ code: 'CONFLICT' });
    expect(await sale.stockLeft(couponId)).toBe(19);

    // Cancels and uses racing for the same order: one of them wins, the unit comes back only if a cancel did.
    const other = await stored(frank, second.orderId);
    const moves = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? lifecycle.cancel(other, log) : lifecycle.use(other, log))),
    );
    const won = moves.flatMap((m) => (m.status === 'fulfilled' ? [m.value.status] : []));
    expect(won).toHaveLength(1);
    expect((await orders.get(frank, second.orderId))?.status).toBe(won[0]);
    expect(await sale.stockLeft(couponId)).toBe(won[0] === 'CANCELLED' ? 20 : 19);
    expect(await held(couponId, frank)).toBe(won[0] === 'CANCELLED' ? 0 : 1);

    // Two expiry runs over the same past-due orders.
    const late = [];
    for (let i = 0; i < 4; i++) late.push(await issue(couponId, uniqueName(`gone${i}`), new Date(Date.now() - 1000)));
    const stockBefore = (await sale.stockLeft(couponId)) ?? 0;
    const runs = await Promise.all([lifecycle.expireDue(100, 4, log), lifecycle.expireDue(100, 4, log)]);
    expect(runs.reduce((n, r) => n + r.expired, 0)).toBe(4);
    expect(runs.reduce((n, r) => n + r.released, 0)).toBe(4);
    expect(await sale.stockLeft(couponId)).toBe(stockBefore + 4);
    expect(stats.expired.n).toBe(4);
    expect(stats.releaseMissed.n).toBe(0);
  });
});
