import { AppError } from '@couponkill/errors';
import { afterEach, describe, expect, it } from 'vitest';
import type { Route } from '../src/index.js';
import { serve, type Harness } from './harness.js';

let h: Harness;
afterEach(async () => {
  await h.close();
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function throwing(err: unknown) {
  return [
    {
      method: 'POST' as const,
      path: '/api/v1/coupons/:id/grab',
      handler: () => {
        throw err;
      },
    },
  ];
}

describe('error responses', () => {
  it('turns a plain Error into 500 INTERNAL without leaking its message or stack', async () => {
    h = await serve(throwing(new Error('mysql password hunter2 rejected by 10.0.0.5')));
    const res = await fetch(h.url('/api/v1/coupons/c1/grab'), { method: 'POST', headers: { 'x-request-id': 'r-500' } });
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('10.0.0.5');
    expect(text).not.toMatch(/\bat \S+:\d+/);
    expect(JSON.parse(text)).toEqual({
      error: { code: 'INTERNAL', message: expect.any(String), requestId: 'r-500' },
    });

    // The stack goes to the log instead, at error level, tagged with the request id.
    const line = h.logs().find((l) => l['level'] === 'error');
    expect(line).toMatchObject({
      requestId: 'r-500',
      code: 'INTERNAL',
      err: { message: expect.stringContaining('hunter2') },
    });
    expect(String((line?.['err'] as { stack?: unknown }).stack)).toContain('send-error.test.ts');
  });

  it('turns a thrown non-Error into 500 too', async () => {
    h = await serve(throwing('just a string'));
    const res = await fetch(h.url('/api/v1/coupons/c1/grab'), { method: 'POST' });
    expect(res.status).toBe(500);
    expect(await res.json()).toMatchObject({ error: { code: 'INTERNAL' } });
  });

  it("answers AppError('SOLD_OUT') with 409 and its code, logged at debug only", async () => {
    h = await serve(throwing(new AppError('SOLD_OUT', 'This coupon is sold out.')));
    const res = await fetch(h.url('/api/v1/coupons/c1/grab'), { method: 'POST' });
    expect(res.status).toBe(409);
    const body = (await res.json()) as { error: { code: string; message: string; requestId: string } };
    expect(body.error).toMatchObject({ code: 'SOLD_OUT', message: 'This coupon is sold out.' });
    expect(body.error.requestId).toBe(res.headers.get('x-request-id'));
    const refusal = h.logs().find((l) => l['code'] === 'SOLD_OUT');
    expect(refusal).toMatchObject({ level: 'debug', status: 409 });
    expect(refusal).not.toHaveProperty('err');
    expect(h.logs().some((l) => l['level'] === 'error')).toBe(false);
  });

  it('sets Retry-After on RATE_LIMITED, rounded up to whole seconds', async () => {
    h = await serve(throwing(new AppError('RATE_LIMITED', 'Slow down.', { retryAfterSeconds: 1.2 })));
    const res = await fetch(h.url('/api/v1/coupons/c1/grab'), { method: 'POST' });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('2');
    expect(await res.json()).toMatchObject({ error: { code: 'RATE_LIMITED' } });
  });

  it('answers a stalled dependency with 503, Retry-After and a warning, never 500', async () => {
    // What ioredis rejects with when Redis does not answer within commandTimeout.
    const stalled = new Error('Command timed out');
    h = await serve(throwing(stalled));
    const res = await fetch(h.url('/api/v1/coupons/c1/grab'), { method: 'POST', headers: { 'x-request-id': 'r-503' } });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    const text = await res.text();
    expect(text).not.toContain('timed out');
    expect(JSON.parse(text)).toEqual({
      error: { code: 'UNAVAILABLE', message: expect.any(String), requestId: 'r-503' },
    });
    expect(h.logs().find((l) => l['code'] === 'UNAVAILABLE')).toMatchObject({
      level: 'warn',
      requestId: 'r-503',
      dependency: 'redis',
      err: { message: 'Command timed out' },
    });
    expect(h.logs().some((l) => l['level'] === 'error')).toBe(false);
  });

  it('logs a 503 shed on purpose (a paused sale) at info, without a stack', async () => {
    h = await serve(throwing(new AppError('UNAVAILABLE', 'Paused; nothing was taken.', { retryAfterSeconds: 3 })));
    const res = await fetch(h.url('/api/v1/coupons/c1/grab'), { method: 'POST' });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('3');
    const line = h.logs().find((l) => l['code'] === 'UNAVAILABLE');
    expect(line).toMatchObject({ level: 'info', reason: 'Paused; nothing was taken.' });
    expect(line).not.toHaveProperty('err');
  });

  it('sends Retry-After with every UNAVAILABLE, also one thrown without it', async () => {
    h = await serve(throwing(new AppError('UNAVAILABLE', 'Orders cannot be written right now; retry.')));
    const res = await fetch(h.url('/api/v1/coupons/c1/grab'), { method: 'POST' });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await res.json()).toMatchObject({
      error: { code: 'UNAVAILABLE', message: 'Orders cannot be written right now; retry.' },
    });
  });

  it('answers a dependency failure in the route guard with 503 too', async () => {
    h = await serve(
      [
        {
          method: 'GET',
          path: '/guarded',
          contract: { auth: 'user' },
          handler: () => ({ status: 200, body: {} }),
        } as unknown as Route,
      ],
      {
        authorize: async () => {
          throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });
        },
      },
    );
    const res = await fetch(h.url('/guarded'));
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
  });

  it('returns validation failures with the bad fields', async () => {
    h = await serve(
      throwing(
        new AppError('VALIDATION_FAILED', 'Invalid body: body.qty', {
          fields: [{ field: 'body.qty', message: 'Too big' }],
        }),
      ),
    );
    const res = await fetch(h.url('/api/v1/coupons/c1/grab'), { method: 'POST' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: { code: 'VALIDATION_FAILED', fields: [{ field: 'body.qty', message: 'Too big' }] },
    });
  });

  it('cuts the connection when the handler fails after starting the response', async () => {
    h = await serve([
      {
        method: 'GET',
        path: '/half',
        handler: ({ res }) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write('{"items":[');
          throw new Error('boom');
        },
      },
    ]);
    // Whether the client fails on the headers or mid-body, it must never get a complete response.
    await expect(fetch(h.url('/half')).then((res) => res.text())).rejects.toThrow();
    expect(h.logs().find((l) => l['level'] === 'error')).toMatchObject({ err: { message: 'boom' } });
  });
});

describe('request ids', () => {
  it('echoes a valid x-request-id on success and on errors', async () => {
    h = await serve([{ method: 'GET', path: '/ok', handler: () => ({ status: 200, body: {} }) }]);
    const ok = await fetch(h.url('/ok'), { headers: { 'x-request-id': 'edge-7f3a:1' } });
    expect(ok.headers.get('x-request-id')).toBe('edge-7f3a:1');
    const missing = await fetch(h.url('/missing'), { headers: { 'x-request-id': 'edge-7f3a:2' } });
    expect(missing.headers.get('x-request-id')).toBe('edge-7f3a:2');
    expect(await missing.json()).toMatchObject({ error: { requestId: 'edge-7f3a:2' } });
    const probe = await fetch(h.url('/health/liveness'), { headers: { 'x-request-id': 'edge-7f3a:3' } });
    expect(probe.headers.get('x-request-id')).toBe('edge-7f3a:3');
  });

  it('replaces an unsafe x-request-id with a fresh one', async () => {
    h = await serve([{ method: 'GET', path: '/ok', handler: () => ({ status: 200, body: {} }) }]);
    const res = await fetch(h.url('/ok'), { headers: { 'x-request-id': 'has spaces "and quotes"' } });
    expect(res.headers.get('x-request-id')).toMatch(UUID);
  });

  it('puts the traceparent trace id on the log lines of the request', async () => {
    h = await serve([
      {
        method: 'GET',
        path: '/ok',
        handler: ({ log }) => {
          log.info('traced');
          return { status: 200, body: {} };
        },
      },
    ]);
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    await fetch(h.url('/ok'), { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
    expect(h.logs().find((l) => l['msg'] === 'traced')).toMatchObject({ traceId });
  });
});
