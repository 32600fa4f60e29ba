import { AppError } from '@couponkill/errors';
import { afterEach, describe, expect, it } from 'vitest';
import type { RouteContext } from '../src/index.js';
import { serve, type Harness } from './harness.js';

let h: Harness;
afterEach(async () => {
  await h.close();
});

describe('routing', () => {
  it('passes decoded params, the query, the request id and a request logger to the handler', async () => {
    let seen: RouteContext | undefined;
    h = await serve([
      {
        method: 'GET',
        path: '/api/v1/users/:userId/coupons/:couponId',
        handler: (ctx) => {
          seen = ctx;
          ctx.log.info('in handler');
          return { status: 200, body: { ok: true }, headers: { etag: '"v1"' } };
        },
      },
    ]);
    const res = await fetch(h.url('/api/v1/users/u%201/coupons/a%2Fb?limit=5&tag=x&tag=y'), {
      headers: { 'x-request-id': 'req-123' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe('"v1"');
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await res.json()).toEqual({ ok: true });
    expect(seen?.params).toEqual({ userId: 'u 1', couponId: 'a/b' });
    expect(seen?.query.get('limit')).toBe('5');
    expect(seen?.query.getAll('tag')).toEqual(['x', 'y']);
    expect(seen?.requestId).toBe('req-123');
    expect(seen?.body).toBeUndefined();
    expect(h.logs().find((l) => l['msg'] === 'in handler')).toMatchObject({
      requestId: 'req-123',
      fn: 'test-fn',
      service: 'test-fn',
    });
  });

  it('answers an unknown path with 404 NOT_FOUND', async () => {
    h = await serve([{ method: 'GET', path: '/api/v1/coupons', handler: () => ({ status: 200, body: [] }) }]);
    for (const path of ['/api/v1/nothing', '/api/v1/coupons/', '//api/v1/coupons', '/']) {
      const res = await fetch(h.url(path));
      expect(res.status, path).toBe(404);
      expect(await res.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
    }
  });

  it('does not match a parameter against an empty segment', async () => {
    h = await serve([{ method: 'GET', path: '/c/:id/grab', handler: () => ({ status: 200, body: {} }) }]);
    expect((await fetch(h.url('/c//grab'))).status).toBe(404);
  });

  it('answers a known path with the wrong method with 405 and an Allow header', async () => {
    h = await serve([
      { method: 'GET', path: '/api/v1/coupons/:id', handler: () => ({ status: 200, body: {} }) },
      { method: 'DELETE', path: '/api/v1/coupons/:id', handler: () => ({ status: 204 }) },
    ]);
    const res = await fetch(h.url('/api/v1/coupons/42'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, DELETE');
    expect(await res.json()).toMatchObject({ error: { code: 'METHOD_NOT_ALLOWED' } });
  });

  it('sends no body for 204', async () => {
    h = await serve([{ method: 'DELETE', path: '/x/:id', handler: () => ({ status: 204 }) }]);
    const res = await fetch(h.url('/x/1'), { method: 'DELETE' });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
  });

  it('answers malformed percent-encoding in a path parameter with 400', async () => {
    let called = false;
    h = await serve([
      {
        method: 'POST',
        path: '/api/v1/coupons/:id/grab',
        handler: () => {
          called = true;
          return { status: 200, body: {} };
        },
      },
    ]);
    const res = await fetch(h.url('/api/v1/coupons/%E0%A4%A/grab'), { method: 'POST' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'BAD_REQUEST' } });
    expect(called).toBe(false);
  });

  it('lets a handler that streams its own response do so', async () => {
    h = await serve([
      {
        method: 'GET',
        path: '/stream',
        handler: ({ res }) => {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end('raw');
          return { status: 500, body: 'ignored' };
        },
      },
    ]);
    const res = await fetch(h.url('/stream'));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('raw');
  });

  it('refuses a handler result without a valid status with 500', async () => {
    h = await serve([{ method: 'GET', path: '/bad', handler: () => undefined as never }]);
    const res = await fetch(h.url('/bad'));
    expect(res.status).toBe(500);
    expect(await res.json()).toMatchObject({ error: { code: 'INTERNAL' } });
  });

  it('uses the route pattern as the metrics label for 405 too', async () => {
    h = await serve([{ method: 'GET', path: '/c/:id', handler: () => ({ status: 200, body: {} }) }]);
    await fetch(h.url('/c/7'), { method: 'PUT' });
    const { body } = await h.metrics.render();
    expect(body).toMatch(
      /couponkill_http_requests_total\{[^}]*route="\/c\/:id"[^}]*method="PUT"[^}]*status="405"[^}]*\} 1/,
    );
  });

  it('maps any AppError code to its status (ENDED → 410)', async () => {
    h = await serve([
      {
        method: 'GET',
        path: '/gone',
        handler: () => {
          throw new AppError('ENDED', 'The sale has ended.');
        },
      },
    ]);
    const res = await fetch(h.url('/gone'));
    expect(res.status).toBe(410);
    expect(await res.json()).toMatchObject({ error: { code: 'ENDED', message: 'The sale has ended.' } });
  });
});
