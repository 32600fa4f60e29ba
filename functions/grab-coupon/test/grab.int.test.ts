import type { FunctionApp } from '@couponkill/http';
import { createRedis, type RedisClient, redisOptionsSchema } from '@couponkill/redis';
import { Sale } from '@couponkill/sale';
import { callJson, endpoints, type JwksFixture, serve, type Served, serveJwks } from '@couponkill/testkit';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGrabCoupon } from '../src/app.js';
import { loadGrabCouponConfig } from '../src/config.js';

// grab-coupon over HTTP against a real Redis: the sold-out answer that comes before the token is
// verified, and what still comes before it.
describe('grab-coupon: a sold-out coupon', () => {
  let jwks: JwksFixture;
  let api: Served;
  let app: FunctionApp;
  let redis: RedisClient;
  let couponId: string;
  const MARK_MS = 600;

  beforeAll(async () => {
    jwks = await serveJwks('grab-test');
    redis = createRedis(redisOptionsSchema.parse({ url: endpoints().redisUrl }), 'grab-test');
    couponId = ulid();
    await new Sale(redis).preheat(
      couponId,
      { status: 'active', type: 'normal', perUserLimit: 1, startMs: 0, endMs: 0, totalStock: 1 },
      async () => 0,
    );
    app = await createGrabCoupon(
      loadGrabCouponConfig({
        REDIS_URL: endpoints().redisUrl,
        ...jwks.env,
        NACOS_SERVER_ADDR: '',
        SOLD_OUT_MARK_MS: String(MARK_MS),
        LOG_LEVEL: 'warn',
      }),
    );
    api = await serve(app.handler);
  });
  afterAll(async () => {
    await api?.close();
    await app?.close();
    redis?.disconnect();
    await jwks?.close();
  });

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
