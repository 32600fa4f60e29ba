import { request } from 'node:http';
import type { FunctionApp } from '@couponkill/http';
import { createRedis, type RedisClient, redisOptionsSchema } from '@couponkill/redis';
import { Sale } from '@couponkill/sale';
import { callJson, endpoints, type JwksFixture, serve, type Served, serveJwks } from '@couponkill/testkit';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGrabCoupon } from '../src/app.js';
import { loadGrabCouponConfig } from '../src/config.js';

// grab-coupon over HTTP against a real Redis: the sold-out answer that comes before the token is
// verified, and what still comes before it; the plain grab's direct path against the router's.
describe('grab-coupon: a sold-out coupon', () => {
  const MARK_MS = 600;
  let rig: Rig;
  let api: Served;
  let jwks: JwksFixture;
  let couponId: string;

  beforeAll(async () => {
    rig = await startRig('grab-test', { perUserLimit: 1, totalStock: 1 }, { SOLD_OUT_MARK_MS: String(MARK_MS) });
    ({ api, jwks, couponId } = rig);
  });
  afterAll(() => rig?.close());

  const grab = (headers: Record<string, string> = {}, query = '') =>
    callJson(api.url, 'POST', `/api/v1/coupons/${couponId}/grab${query}`, { headers });
  /** A bearer token whose signature does not verify. */
  const forged = async () => {
    const { authorization = '' } = await jwks.bearer('mallory', 'user');
    return { authorization: `${authorization.slice(0, -4)}AAAA` };
  };

  it('answers 409 before verifying the token once Redis said sold out, and 401 first without a bearer', async () => {
    expect((await grab(await forged())).status).toBe(401); // not marked yet: the token is checked
    expect((await grab(await jwks.bearer('u-1', 'user'))).status).toBe(202);
    expect((await grab(await jwks.bearer('u-2', 'user'))).status).toBe(409); // Redis says sold out

    const early = await grab({ ...(await forged()), 'x-request-id': 'req-42' });
    expect(early.status).toBe(409);
    expect(early.headers.get('x-request-id')).toBe('req-42');
    expect(early.headers.get('cache-control')).toBe('no-store');
    expect(early.body).toEqual({
      error: { code: 'SOLD_OUT', message: 'This coupon is sold out.', requestId: 'req-42' },
    });
    expect((await grab()).status).toBe(401);
    expect((await grab({ authorization: 'Basic dTpw' })).status).toBe(401);
    // An unusual request goes the normal way: the caller is verified, then the input validated.
    expect((await grab(await forged(), '?x=1')).status).toBe(401);
    expect((await grab(await jwks.bearer('u-3', 'user'), '?x=1')).status).toBe(400);
    const get = await callJson(api.url, 'GET', `/api/v1/coupons/${couponId}/grab`, { headers: await forged() });
    expect(get.status).toBe(405);

    // The mark expires: Redis is asked again, so a forged token is refused as such.
    await new Promise((r) => setTimeout(r, MARK_MS + 100));
    expect((await grab(await forged())).status).toBe(401);
  });
});

describe('grab-coupon: the direct path of a plain grab', () => {
  let rig: Rig;
  let api: Served;
  let jwks: JwksFixture;
  let couponId: string;

  beforeAll(async () => {
    rig = await startRig('grab-direct-test', { perUserLimit: 2, totalStock: 100 });
    ({ api, jwks, couponId } = rig);
  });
  afterAll(() => rig?.close());

  /**
   * A grab sent as is (the plain shape, taken by the direct path) or with an empty chunked body
   * (which the direct path leaves to the router): the same request to the handler either way.
   */
  async function grab(
    coupon: string,
    headers: Record<string, string>,
    via: 'direct' | 'router',
  ): Promise<{ status: number; location: string | undefined; body: unknown }> {
    const url = new URL(`/api/v1/coupons/${coupon}/grab`, api.url);
    const extra = via === 'router' ? { 'transfer-encoding': 'chunked', 'content-type': 'application/json' } : {};
    return new Promise((resolve, reject) => {
      const req = request(url, { method: 'POST', headers: { 'x-request-id': 'same', ...headers, ...extra } }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, location: res.headers.location, body: JSON.parse(text) }),
        );
      });
      req.on('error', reject).end();
    });
  }

  it('answers every case as the router does', async () => {
    const alice = await jwks.bearer('alice', 'user');
    const cases: Array<[string, string, Record<string, string>]> = [
      ['accepted, then replayed by its key', couponId, { ...alice, 'idempotency-key': 'k-1' }],
      ['a second unit', couponId, { ...alice, 'idempotency-key': 'k-2' }],
      ['over the limit', couponId, { ...alice, 'idempotency-key': 'k-3' }],
      ['a malformed Idempotency-Key', couponId, { ...alice, 'idempotency-key': 'bad key!' }],
      ['no token', couponId, { 'idempotency-key': 'bad key!' }],
      ['an unknown coupon', ulid(), alice],
    ];
    const statuses: number[] = [];
    for (const [name, coupon, headers] of cases) {
      const direct = await grab(coupon, headers, 'direct');
      // Sent second, the router's grab with the same key is answered from the first one's record.
      const router = await grab(coupon, headers, 'router');
      expect(router, name).toEqual(direct);
      statuses.push(direct.status);
    }
    expect(statuses).toEqual([202, 202, 409, 400, 401, 404]);
    expect(await new Sale(rig.redis).stockLeft(couponId)).toBe(98);
  });
});

interface Rig {
  readonly jwks: JwksFixture;
  readonly redis: RedisClient;
  readonly couponId: string;
  readonly api: Served;
  close(): Promise<void>;
}

/** grab-coupon served over HTTP on the run's Redis, with a coupon of its own on sale. */
async function startRig(
  name: string,
  coupon: { readonly perUserLimit: number; readonly totalStock: number },
  env: Record<string, string> = {},
): Promise<Rig> {
  const jwks = await serveJwks(name);
  const redis = createRedis(redisOptionsSchema.parse({ url: endpoints().redisUrl }), name);
  const couponId = ulid();
  await new Sale(redis).preheat(
    couponId,
    { status: 'active', type: 'normal', startMs: 0, endMs: 0, ...coupon },
    async () => 0,
  );
  const app: FunctionApp = await createGrabCoupon(
    loadGrabCouponConfig({
      REDIS_URL: endpoints().redisUrl,
      ...jwks.env,
      NACOS_SERVER_ADDR: '',
      LOG_LEVEL: 'warn',
      ...env,
    }),
  );
  const api = await serve(app.handler);
  return {
    jwks,
    redis,
    couponId,
    api,
    async close() {
      await api.close();
      await app.close();
      redis.disconnect();
      await jwks.close();
    },
  };
}
