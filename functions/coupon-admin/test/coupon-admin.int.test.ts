import { createPool, type Pool, withDatabase } from '@couponkill/db';
import { createRedis, type RedisClient, redisOptionsSchema } from '@couponkill/redis';
import { couponKeys, Sale } from '@couponkill/sale';
import {
  callJson,
  endpoints,
  type Json,
  type JwksFixture,
  serve,
  type Served,
  serveJwks,
  uniqueName,
} from '@couponkill/testkit';
import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCouponAdmin } from '../src/app.js';
import { loadCouponAdminConfig } from '../src/config.js';

// coupon-admin served over HTTP against real MariaDB and Redis, with tokens from a real key ring
// whose JWKS is served like user-auth serves it.
const database = uniqueName('ck_coupon_admin');
const ordersDatabase = `${database}_orders`;

const hour = 3600 * 1000;
const openWindow = () => ({
  start: new Date(Date.now() - hour).toISOString(),
  end: new Date(Date.now() + hour).toISOString(),
});
const saleCouponBody = (overrides: Json = {}) => ({
  name: 'Double 11 flash',
  type: 'seckill',
  faceValue: 500,
  minSpend: 2000,
  validDays: 7,
  perUserLimit: 1,
  totalStock: 10,
  window: openWindow(),
  ...overrides,
});
const normalBody = (overrides: Json = {}) => ({
  name: 'Welcome',
  type: 'normal',
  faceValue: 100,
  minSpend: 0,
  validDays: 30,
  perUserLimit: 2,
  totalStock: 1000,
  ...overrides,
});

describe('coupon-admin: create, list, change, preheat, delete', () => {
  let jwks: JwksFixture;
  let api: Served;
  let app: { close(): Promise<void> };
  let redis: RedisClient;
  let sale: Sale;
  let orders: Pool;
  const created: string[] = [];
  const bearer: Partial<Record<'admin' | 'user', Record<string, string>>> = {};

  const call = (method: string, path: string, body?: unknown, as?: 'admin' | 'user') =>
    callJson(api.url, method, path, { body, headers: as === undefined ? undefined : bearer[as] });

  async function create(body: Json): Promise<Json> {
    const response = await call('POST', '/api/v1/coupons', body, 'admin');
    expect(response.status).toBe(201);
    created.push(response.body?.['id'] as string);
    return response.body ?? {};
  }

  const meta = (id: string) => redis.hgetall(couponKeys(id).meta);

  const countLiveOrders = async (couponId: string) => {
    const [rows] = await orders.query<RowDataPacket[]>(
      "SELECT COUNT(*) AS n FROM orders WHERE coupon_id = ? AND status = 'UNUSED'",
      [couponId],
    );
    return Number(rows[0]?.['n'] ?? 0);
  };
  const countHeldOrders = async (couponId: string) => {
    const [rows] = await orders.query<RowDataPacket[]>(
      "SELECT COUNT(*) AS n FROM orders WHERE coupon_id = ? AND status IN ('UNUSED', 'USED')",
      [couponId],
    );
    return Number(rows[0]?.['n'] ?? 0);
  };

  beforeAll(async () => {
    jwks = await serveJwks('test-key');
    bearer.admin = await jwks.bearer('admin-1', 'user', 'admin');
    bearer.user = await jwks.bearer('user-1', 'user');

    // A stand-in for the order store: just what counting live orders needs.
    const server = createPool({ url: endpoints().mysqlUrl, connectionLimit: 1 });
    await server.query(`CREATE DATABASE \`${ordersDatabase}\``);
    await server.end();
    orders = createPool({ url: withDatabase(endpoints().mysqlUrl, ordersDatabase), connectionLimit: 2 });
    await orders.query(`CREATE TABLE orders (
      id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
      coupon_id CHAR(26) NOT NULL,
      status ENUM('UNUSED', 'USED', 'CANCELLED', 'EXPIRED') NOT NULL,
      KEY idx_orders_coupon (coupon_id, status)
    )`);

    const functionApp = await createCouponAdmin(
      loadCouponAdminConfig({
        MYSQL_URL: endpoints().mysqlUrl,
        COUPONS_DATABASE: database,
        REDIS_URL: endpoints().redisUrl,
        MIGRATE_ON_START: 'true',
        ...jwks.env,
      }),
      { countLiveOrders, countHeldOrders },
    );
    app = functionApp;
    api = await serve(functionApp.handler);
    redis = createRedis(redisOptionsSchema.parse({ url: endpoints().redisUrl }));
    sale = new Sale(redis);
  });
  afterAll(async () => {
    await api?.close();
    await jwks?.close();
    await app?.close();
    for (const id of created) await sale?.remove(id);
    redis?.disconnect();
    await orders?.end();
    const server = createPool({ url: endpoints().mysqlUrl, connectionLimit: 1 });
    for (const db of [database, ordersDatabase]) await server.query(`DROP DATABASE IF EXISTS \`${db}\``);
    await server.end();
  });

  it('is ready once MySQL and Redis answer', async () => {
    const ready = await fetch(`${api.url}/health/readiness`);
    expect(ready.status).toBe(200);
  });

  it('creates seckill and normal coupons whose sale state is written at once, lists and shows them', async () => {
    const window = openWindow();
    const saleCoupon = await create(saleCouponBody({ window }));
    expect(saleCoupon).toMatchObject({
      type: 'seckill',
      faceValue: 500,
      minSpend: 2000,
      status: 'active',
      totalStock: 10,
      remaining: 10,
      window,
    });
    expect(await meta(saleCoupon['id'] as string)).toEqual({
      ver: expect.any(String),
      status: 'active',
      type: 'seckill',
      limit: '1',
      start_ms: String(Date.parse(window.start)),
      end_ms: String(Date.parse(window.end)),
      total: '10',
    });
    const welcome = await create(normalBody({ status: 'inactive' }));
    expect(welcome).toMatchObject({ type: 'normal', window: null, status: 'inactive', remaining: 1000 });
    expect(await meta(welcome['id'] as string)).toMatchObject({ start_ms: '0', end_ms: '0', status: 'inactive' });

    // Grabs work right away.
    expect(await sale.grab(saleCoupon['id'] as string, 'shopper-1')).toMatchObject({ ok: true, stockLeft: 9 });

    const list = await call('GET', '/api/v1/coupons?limit=100');
    expect(list.status).toBe(200);
    const items = list.body?.['items'] as Json[];
    expect(items.slice(0, 2).map((c) => c['id'] as string)).toEqual([welcome['id'], saleCoupon['id']]); // newest first
    expect(items[1]).toEqual({ ...saleCoupon, remaining: 9 });
    expect(list.body?.['nextCursor']).toBeNull();

    const first = await call('GET', '/api/v1/coupons?limit=1');
    expect((first.body?.['items'] as Json[]).map((c) => c['id'] as string)).toEqual([welcome['id']]);
    const second = await call('GET', `/api/v1/coupons?limit=1&cursor=${first.body?.['nextCursor'] as string}`);
    expect((second.body?.['items'] as Json[]).map((c) => c['id'] as string)).toEqual([saleCoupon['id']]);

    const detail = await call('GET', `/api/v1/coupons/${saleCoupon['id'] as string}`);
    expect(detail).toEqual({ status: 200, body: { ...saleCoupon, remaining: 9 } });
    expect((await call('GET', '/api/v1/coupons/01JCK0000000000000000000AA')).status).toBe(404);
    const malformed = await call('GET', '/api/v1/coupons/not-a-coupon');
    expect(malformed.status).toBe(404);
    expect(malformed.body?.['error']?.code).toBe('NOT_FOUND');
  });

  it('shows remaining as null for a coupon without sale state', async () => {
    const coupon = await create(normalBody());
    await sale.remove(coupon['id'] as string);
    expect((await call('GET', `/api/v1/coupons/${coupon['id'] as string}`)).body?.['remaining']).toBeNull();
    const items = (await call('GET', '/api/v1/coupons')).body?.['items'] as Json[];
    expect(items.find((c) => c['id'] === coupon['id'])?.['remaining']).toBeNull();
  });

  it('lists every invalid field of a request', async () => {
    const bad = await call(
      'POST',
      '/api/v1/coupons',
      { ...saleCouponBody({ faceValue: 0, perUserLimit: 101, totalStock: 10_000_001 }), window: undefined, extra: 1 },
      'admin',
    );
    expect(bad.status).toBe(400);
    expect(bad.body?.['error']?.code).toBe('VALIDATION_FAILED');
    const fields = (bad.body?.['error']?.fields as Array<{ field: string }>).map((f) => f.field).sort();
    expect(fields).toEqual(['body', 'body.faceValue', 'body.perUserLimit', 'body.totalStock', 'body.window']);

    const normalWithWindow = await call('POST', '/api/v1/coupons', normalBody({ window: openWindow() }), 'admin');
    expect(normalWithWindow.body?.['error']?.fields).toEqual([
      { field: 'body.window', message: 'a normal coupon has no sale window' },
    ]);
    const backwards = await call(
      'POST',
      '/api/v1/coupons',
      saleCouponBody({ window: { start: '2030-01-02T00:00:00Z', end: '2030-01-01T00:00:00Z' } }),
      'admin',
    );
    expect(backwards.body?.['error']?.fields).toEqual([{ field: 'body.window.end', message: 'must be after start' }]);

    const query = await call('GET', '/api/v1/coupons?limit=500&cursor=x');
    expect(query.status).toBe(400);
    expect((query.body?.['error']?.fields as Array<{ field: string }>).map((f) => f.field).sort()).toEqual([
      'query.cursor',
      'query.limit',
    ]);
  });

  it('lets only admins write: 401 without a token, 403 with a user token; reads are public', async () => {
    const coupon = await create(normalBody());
    const id = coupon['id'] as string;
    const writes: Array<[string, string, unknown]> = [
      ['POST', '/api/v1/coupons', normalBody()],
      ['PATCH', `/api/v1/coupons/${id}`, { name: 'mine now' }],
      ['DELETE', `/api/v1/coupons/${id}?force=true`, undefined],
      ['POST', `/api/v1/coupons/${id}/preheat`, undefined],
    ];
    for (const [method, path, body] of writes) {
      const anonymous = await call(method, path, body);
      expect(anonymous.status, `${method} ${path}`).toBe(401);
      expect(anonymous.body?.['error']?.code).toBe('UNAUTHENTICATED');
      const user = await call(method, path, body, 'user');
      expect(user.status, `${method} ${path}`).toBe(403);
      expect(user.body?.['error']?.code).toBe('FORBIDDEN');
    }
    expect(await call('GET', `/api/v1/coupons/${id}`)).toMatchObject({ status: 200, body: { name: 'Welcome' } });
    expect((await call('GET', '/api/v1/coupons', undefined, 'user')).status).toBe(200);
  });

  it('refuses a total below what is already taken with 409, changing nothing', async () => {
    const coupon = await create(saleCouponBody({ totalStock: 10 }));
    const id = coupon['id'] as string;
    for (let i = 0; i < 4; i++) expect((await sale.grab(id, `buyer-${i}`)).ok).toBe(true);

    const refused = await call('PATCH', `/api/v1/coupons/${id}`, { totalStock: 3, name: 'smaller' }, 'admin');
    expect(refused.status).toBe(409);
    expect(refused.body?.['error']?.code).toBe('CONFLICT');
    expect(refused.body?.['error']?.message).toMatch(/\b4 units\b/);
    expect((await call('GET', `/api/v1/coupons/${id}`)).body).toEqual({ ...coupon, remaining: 6 });
    expect(await meta(id)).toMatchObject({ total: '10' });

    const exact = await call('PATCH', `/api/v1/coupons/${id}`, { totalStock: 4 }, 'admin');
    expect(exact).toMatchObject({ status: 200, body: { totalStock: 4, remaining: 0 } });
    expect(await sale.grab(id, 'late-buyer')).toEqual({ ok: false, refusal: 'SOLD_OUT' });
    const raised = await call('PATCH', `/api/v1/coupons/${id}`, { totalStock: 20 }, 'admin');
    expect(raised).toMatchObject({ status: 200, body: { totalStock: 20, remaining: 16 } });
    expect((await call('GET', `/api/v1/coupons/${id}`)).body).toMatchObject({ totalStock: 20, remaining: 16 });
  });

  it('writes a changed window, status and per-user limit to the sale state', async () => {
    const coupon = await create(saleCouponBody());
    const id = coupon['id'] as string;
    const later = { start: '2031-06-01T00:00:00.000Z', end: '2031-06-02T00:00:00.000Z' };
    const patched = await call(
      'PATCH',
      `/api/v1/coupons/${id}`,
      { window: later, status: 'inactive', perUserLimit: 3, name: 'Moved' },
      'admin',
    );
    expect(patched).toMatchObject({
      status: 200,
      body: { window: later, status: 'inactive', perUserLimit: 3, name: 'Moved', remaining: 10 },
    });
    expect(patched.body?.['updatedAt']).not.toBe(coupon['updatedAt']);
    expect(await meta(id)).toEqual({
      ver: expect.any(String),
      status: 'inactive',
      type: 'seckill',
      limit: '3',
      start_ms: String(Date.parse(later.start)),
      end_ms: String(Date.parse(later.end)),
      total: '10',
    });
    expect(await sale.grab(id, 'someone')).toEqual({ ok: false, refusal: 'INACTIVE' });
    await call('PATCH', `/api/v1/coupons/${id}`, { status: 'active' }, 'admin');
    expect(await sale.grab(id, 'someone')).toMatchObject({ ok: false, refusal: 'NOT_STARTED' });

    const normal = await create(normalBody());
    const windowOnNormal = await call('PATCH', `/api/v1/coupons/${normal['id'] as string}`, { window: later }, 'admin');
    expect(windowOnNormal.status).toBe(400);
    expect(windowOnNormal.body?.['error']?.fields).toEqual([
      { field: 'body.window', message: 'a normal coupon has no sale window' },
    ]);
    expect(await meta(normal['id'] as string)).toMatchObject({ start_ms: '0', end_ms: '0' });
    expect((await call('PATCH', `/api/v1/coupons/${id}`, {}, 'admin')).status).toBe(400);
    expect((await call('PATCH', '/api/v1/coupons/01JCK0000000000000000000AA', { name: 'x' }, 'admin')).status).toBe(
      404,
    );
  });

  it('preheats again from MySQL without ever refilling the stock', async () => {
    const coupon = await create(saleCouponBody({ totalStock: 5, perUserLimit: 2 }));
    const id = coupon['id'] as string;
    await sale.grab(id, 'fan');
    await sale.grab(id, 'fan');
    for (let i = 0; i < 2; i++) {
      expect(await call('POST', `/api/v1/coupons/${id}/preheat`, undefined, 'admin')).toEqual({
        status: 200,
        body: { id, remaining: 3 },
      });
    }
    expect(await sale.stockLeft(id)).toBe(3);
    // A lost sale state with orders in MySQL is never refilled: an audit must rebuild it.
    const k = couponKeys(id);
    const wipe = () => redis.del(k.meta, k.stock, k.holders, k.seqs, k.queued, k.outbox);
    await wipe();
    await orders.query('INSERT INTO orders (coupon_id, status) VALUES (?, ?), (?, ?)', [id, 'UNUSED', id, 'USED']);
    const refused = await call('POST', `/api/v1/coupons/${id}/preheat`, undefined, 'admin');
    expect(refused.status).toBe(409);
    expect(refused.body?.['error']).toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/audit/) });
    expect(await sale.stockLeft(id)).toBeUndefined();
    await orders.query('DELETE FROM orders WHERE coupon_id = ?', [id]);
    // A state lost before any order was written is written again from MySQL.
    expect((await call('POST', `/api/v1/coupons/${id}/preheat`, undefined, 'admin')).body).toEqual({
      id,
      remaining: 5,
    });
    expect(await meta(id)).toMatchObject({ total: '5', limit: '2' });
    expect((await call('POST', '/api/v1/coupons/01JCK0000000000000000000AA/preheat', undefined, 'admin')).status).toBe(
      404,
    );
  });

  it('never deletes a coupon mid-sale, not even forced, nor one whose accepted grabs are not orders yet', async () => {
    const coupon = await create(saleCouponBody({ totalStock: 5, perUserLimit: 2 }));
    const id = coupon['id'] as string;
    const grabbed = await sale.grab(id, 'early-bird');
    expect(grabbed.ok).toBe(true);
    for (const query of ['', '?force=true']) {
      const refused = await call('DELETE', `/api/v1/coupons/${id}${query}`, undefined, 'admin');
      expect(refused.status).toBe(409);
      expect(refused.body?.['error']).toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/on sale/) });
    }
    // Deactivated, but the accepted grab is still in the outbox: still refused, nothing removed.
    await call('PATCH', `/api/v1/coupons/${id}`, { status: 'inactive' }, 'admin');
    const inFlight = await call('DELETE', `/api/v1/coupons/${id}?force=true`, undefined, 'admin');
    expect(inFlight.status).toBe(409);
    expect(inFlight.body?.['error']?.message).toMatch(/1 queued, 1 in the outbox, 0 dead-lettered/);
    expect(await redis.xlen(couponKeys(id).outbox)).toBe(1);
    expect((await call('GET', `/api/v1/coupons/${id}`)).status).toBe(200);
    // Once it is an order (published, written, marked), the coupon can go.
    await redis.del(couponKeys(id).outbox);
    if (grabbed.ok) expect(await sale.succeed(grabbed.grabId, 'early-bird', 'o-1')).toBe('marked');
    expect((await call('DELETE', `/api/v1/coupons/${id}?force=true`, undefined, 'admin')).status).toBe(204);
  });

  it('refuses to delete a coupon with live orders unless forced; then it and its sale state are gone', async () => {
    const coupon = await create(saleCouponBody({ status: 'inactive' }));
    const id = coupon['id'] as string;
    await orders.query('INSERT INTO orders (coupon_id, status) VALUES (?, ?), (?, ?), (?, ?)', [
      id,
      'UNUSED',
      id,
      'UNUSED',
      id,
      'CANCELLED',
    ]);

    const refused = await call('DELETE', `/api/v1/coupons/${id}`, undefined, 'admin');
    expect(refused.status).toBe(409);
    expect(refused.body?.['error']).toMatchObject({
      code: 'CONFLICT',
      message: expect.stringMatching(/\b2 live orders\b/),
    });
    expect((await call('GET', `/api/v1/coupons/${id}`)).status).toBe(200);
    expect(await sale.stockLeft(id)).toBe(10);

    expect((await call('DELETE', `/api/v1/coupons/${id}?force=maybe`, undefined, 'admin')).status).toBe(400);
    const forced = await call('DELETE', `/api/v1/coupons/${id}?force=true`, undefined, 'admin');
    expect(forced).toEqual({ status: 204, body: undefined });
    expect((await call('GET', `/api/v1/coupons/${id}`)).status).toBe(404);
    const items = (await call('GET', '/api/v1/coupons?limit=100')).body?.['items'] as Json[];
    expect(items.map((c) => c['id'] as string)).not.toContain(id);
    const keys = couponKeys(id);
    expect(await redis.exists(keys.meta, keys.stock, keys.holders, keys.seqs)).toBe(0);
    expect(await sale.grab(id, 'too-late')).toEqual({ ok: false, refusal: 'NOT_FOUND' });
    expect((await call('DELETE', `/api/v1/coupons/${id}?force=true`, undefined, 'admin')).status).toBe(404);
    expect((await call('POST', `/api/v1/coupons/${id}/preheat`, undefined, 'admin')).status).toBe(404);

    // Orders that are no longer live do not hold a delete up.
    const other = await create(normalBody({ status: 'inactive' }));
    await orders.query('INSERT INTO orders (coupon_id, status) VALUES (?, ?), (?, ?)', [
      other['id'],
      'USED',
      other['id'],
      'EXPIRED',
    ]);
    expect((await call('DELETE', `/api/v1/coupons/${other['id'] as string}`, undefined, 'admin')).status).toBe(204);
    expect(await sale.stockLeft(other['id'] as string)).toBeUndefined();
  });
});
