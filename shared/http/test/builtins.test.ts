import { afterEach, describe, expect, it } from 'vitest';
import { serve, type Harness } from './harness.js';

let h: Harness;
afterEach(async () => {
  await h.close();
});

describe('built-in endpoints', () => {
  it('GET /health/liveness is 200 until the process is marked broken, then 503', async () => {
    h = await serve([]);
    const ok = await fetch(h.url('/health/liveness'));
    expect(ok.status).toBe(200);
    expect(ok.headers.get('cache-control')).toBe('no-store');
    expect(await ok.json()).toEqual({ status: 'ok' });

    h.health.markBroken('consumer loop died');
    const broken = await fetch(h.url('/health/liveness'));
    expect(broken.status).toBe(503);
    expect(await broken.json()).toEqual({ status: 'broken', reason: 'consumer loop died' });
  });

  it('GET /health/readiness is 200 with the checks, 503 when one fails', async () => {
    h = await serve([]);
    h.health.addCheck('redis', async () => 'PONG');
    const ready = await fetch(h.url('/health/readiness'));
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      ready: true,
      status: 'ok',
      checks: { redis: { ok: true, ms: expect.any(Number) } },
    });

    h.health.addCheck('mysql', () => new Promise(() => undefined));
    const down = await fetch(h.url('/health/readiness'));
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({
      ready: false,
      status: 'unavailable',
      checks: { redis: { ok: true }, mysql: { ok: false, error: 'timeout after 50ms' } },
    });
  });

  it('GET /health/readiness is 503 while draining', async () => {
    h = await serve([]);
    h.health.setReady(false);
    const res = await fetch(h.url('/health/readiness'));
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ ready: false, checks: { shutdown: { ok: false } } });
  });

  it('GET /metrics serves the text exposition with route patterns, not raw paths', async () => {
    h = await serve([{ method: 'GET', path: '/api/v1/coupons/:id', handler: () => ({ status: 200, body: {} }) }]);
    await fetch(h.url('/api/v1/coupons/c-1'));
    await fetch(h.url('/api/v1/coupons/c-2'));
    await fetch(h.url('/nope/123'));
    await fetch(h.url('/health/liveness'));

    const res = await fetch(h.url('/metrics'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const body = await res.text();
    expect(body).toMatch(
      /couponkill_http_requests_total\{[^}]*route="\/api\/v1\/coupons\/:id"[^}]*status="200"[^}]*\} 2/,
    );
    expect(body).toMatch(/couponkill_http_requests_total\{[^}]*route="unmatched"[^}]*status="404"[^}]*\} 1/);
    expect(body).not.toContain('c-1');
    expect(body).not.toContain('/nope');
    // Probes and scrapes are not request traffic.
    expect(body).not.toContain('/health/liveness');
  });

  it('answers other methods on built-in paths with 405 and Allow: GET', async () => {
    h = await serve([]);
    const res = await fetch(h.url('/metrics'), { method: 'POST' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET');
    expect(await res.json()).toMatchObject({ error: { code: 'METHOD_NOT_ALLOWED' } });
  });
});
