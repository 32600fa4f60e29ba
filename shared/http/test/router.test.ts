import { describe, expect, it } from 'vitest';
import { compileRoutes, decodeParams, matchRoute } from '../src/router.js';
import type { Route } from '../src/index.js';

const reply = () => ({ status: 200 });
const route = (method: Route['method'], path: string): Route => ({ method, path, handler: reply });

describe('compileRoutes', () => {
  it('rejects paths without a leading slash, duplicates and bad parameter names', () => {
    expect(() => compileRoutes([route('GET', 'api/x')])).toThrow(/must start with/);
    expect(() => compileRoutes([route('GET', '/c/:id'), route('GET', '/c/:couponId')])).toThrow(/duplicate route/);
    expect(() => compileRoutes([route('GET', '/c/:')])).toThrow(/bad parameter/);
    expect(() => compileRoutes([route('GET', '/c/:id-x')])).toThrow(/bad parameter/);
    expect(() => compileRoutes([route('GET', '/c/:id/:id')])).toThrow(/repeated/);
  });

  it('allows the same path with different methods', () => {
    expect(compileRoutes([route('GET', '/c/:id'), route('DELETE', '/c/:id')])).toHaveLength(2);
  });
});

describe('matchRoute', () => {
  const routes = compileRoutes([
    route('GET', '/api/v1/coupons/active'),
    route('GET', '/api/v1/coupons/:id'),
    route('POST', '/api/v1/coupons/:id/grab'),
  ]);

  it('prefers the first declared route, so literals can shadow parameters', () => {
    const m = matchRoute(routes, 'GET', '/api/v1/coupons/active');
    expect(m).toMatchObject({ kind: 'found', route: { path: '/api/v1/coupons/active' }, rawParams: {} });
    expect(matchRoute(routes, 'GET', '/api/v1/coupons/c-9')).toMatchObject({ kind: 'found', rawParams: { id: 'c-9' } });
  });

  it('reports the allowed methods for a known path', () => {
    expect(matchRoute(routes, 'DELETE', '/api/v1/coupons/c-9/grab')).toEqual({
      kind: 'wrong-method',
      pattern: '/api/v1/coupons/:id/grab',
      allow: ['POST'],
    });
  });

  it('finds nothing for other shapes', () => {
    expect(matchRoute(routes, 'GET', '/api/v1/coupons/c-9/grab/extra').kind).toBe('none');
    expect(matchRoute(routes, 'GET', '/api/v1').kind).toBe('none');
  });
});

describe('decodeParams', () => {
  it('decodes escapes, keeping an encoded slash inside the value', () => {
    expect(decodeParams({ id: 'a%2Fb', name: '%E4%BC%98%E6%83%A0' })).toEqual({ id: 'a/b', name: '优惠' });
  });

  it('throws BAD_REQUEST for malformed escapes', () => {
    expect(() => decodeParams({ id: '%E0%A4%A' })).toThrow(
      expect.objectContaining({ code: 'BAD_REQUEST', status: 400 }),
    );
    expect(() => decodeParams({ id: '%' })).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
  });
});
