import { describe, expect, it } from 'vitest';
import { functionsOf, loadRouteTable, routeFor } from '../src/gateway/route-table.js';

describe("the function manifests' public routes", () => {
  const table = loadRouteTable();

  it('sends each public path to its function', () => {
    expect(routeFor(table, '/.well-known/jwks.json')).toBe('user-auth');
    expect(routeFor(table, '/api/v1/auth/login')).toBe('user-auth');
    expect(routeFor(table, '/api/v1/users/me')).toBe('user-lookup');
    expect(routeFor(table, '/api/v1/users')).toBe('user-lookup');
    expect(routeFor(table, '/api/v1/coupons/01JABCDEFGHJKMNPQRSTVWXYZ0/grab')).toBe('grab-coupon');
    expect(routeFor(table, '/api/v1/coupons/01JABCDEFGHJKMNPQRSTVWXYZ0')).toBe('coupon-admin');
    expect(routeFor(table, '/api/v1/coupons')).toBe('coupon-admin');
    expect(routeFor(table, '/api/v1/grabs/x/events')).toBe('grab-result');
    expect(routeFor(table, '/api/v1/orders/o1/cancel')).toBe('orders');
  });

  it('exposes no job entry point, no worker and nothing outside /api/v1 and the JWKS', () => {
    expect(routeFor(table, '/jobs/expire-orders')).toBeUndefined();
    expect(routeFor(table, '/')).toBeUndefined();
    expect(routeFor(table, '/api/v1/coupons/x/grab/extra')).toBe('coupon-admin');
    expect(functionsOf(table)).not.toContain('create-order');
  });
});
