import type { HttpRequest } from '@couponkill/http';
import { describe, expect, it } from 'vitest';
import { directGrab, type GrabDeps } from '../src/handlers.js';

const COUPON = '01JCK7Q8ZK3M6V4T2R1P0N9B8A';

/** The request fields `accepts` reads. */
function req(method: string, url: string, headers: Record<string, string> = {}): HttpRequest {
  return { method, url, headers } as unknown as HttpRequest;
}

describe('the direct grab takes only the plain shape', () => {
  // `accepts` reads the request alone; the handler's dependencies are not touched.
  const direct = directGrab({} as GrabDeps);

  it('takes a POST to a ULID coupon without query or body', () => {
    expect(direct.accepts(req('POST', `/api/v1/coupons/${COUPON}/grab`))).toBe(true);
    expect(direct.accepts(req('POST', `/api/v1/coupons/${COUPON}/grab`, { 'content-length': '0' }))).toBe(true);
  });

  it.each([
    ['another method', req('GET', `/api/v1/coupons/${COUPON}/grab`)],
    ['a query string', req('POST', `/api/v1/coupons/${COUPON}/grab?x=1`)],
    ['a query ending like the path', req('POST', `/api/v1/coupons/${COUPON}/grab?x=/grab`)],
    ['an encoded id', req('POST', `/api/v1/coupons/${COUPON.slice(0, 25)}%41/grab`)],
    ['an id that is not a ULID', req('POST', '/api/v1/coupons/c-1/grab')],
    ['a body', req('POST', `/api/v1/coupons/${COUPON}/grab`, { 'content-length': '2' })],
    ['a chunked body', req('POST', `/api/v1/coupons/${COUPON}/grab`, { 'transfer-encoding': 'chunked' })],
    ['another path', req('POST', `/api/v1/coupons/${COUPON}`)],
  ])('leaves %s to the router', (_name, request) => {
    expect(direct.accepts(request)).toBe(false);
  });
});
