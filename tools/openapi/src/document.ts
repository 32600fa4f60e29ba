import { couponAdminContracts } from '@couponkill/fn-coupon-admin/contract';
import { createOrderContracts } from '@couponkill/fn-create-order/contract';
import { grabCouponContracts } from '@couponkill/fn-grab-coupon/contract';
import { grabResultContracts } from '@couponkill/fn-grab-result/contract';
import { ordersContracts } from '@couponkill/fn-orders/contract';
import { reconcileContracts } from '@couponkill/fn-reconcile/contract';
import { userAuthContracts } from '@couponkill/fn-user-auth/contract';
import { userLookupContracts } from '@couponkill/fn-user-lookup/contract';
import { openApiDocument, type RouteContract } from '@couponkill/http';

/** Every route of every function, by function (the order of the document's tags follows it). */
export const CONTRACTS: Readonly<Record<string, readonly RouteContract[]>> = {
  'user-auth': userAuthContracts,
  'user-lookup': userLookupContracts,
  'coupon-admin': couponAdminContracts,
  'grab-coupon': grabCouponContracts,
  'grab-result': grabResultContracts,
  orders: ordersContracts,
  'create-order': createOrderContracts,
  reconcile: reconcileContracts,
};

/** The one OpenAPI document of the API, built from the routes' own zod schemas. */
export function buildOpenApi(): Record<string, unknown> {
  return openApiDocument(
    {
      title: 'CouponKill API',
      version: '1.0.0',
      description:
        'Flash-sale coupons. Every error answer has the body `{"error":{"code","message","requestId","fields"?}}` with ' +
        'a code from a closed list. Request bodies are JSON (`Content-Type: application/json`, UTF-8), size-capped ' +
        'per function; unknown body fields and unknown query parameters are refused (400 VALIDATION_FAILED), ' +
        'headers a route does not name are ignored. Routes tagged `jobs` and `events` are internal: they are not ' +
        'routed from the public gateway.',
      servers: [{ url: 'http://127.0.0.1:8080', description: 'make dev' }],
      tags: [
        { name: 'auth', description: 'Accounts and tokens (user-auth).' },
        { name: 'users', description: 'Profiles (user-lookup).' },
        { name: 'coupons', description: 'Coupon definitions and their sale state (coupon-admin).' },
        { name: 'grabs', description: 'The grab and its result (grab-coupon, grab-result).' },
        { name: 'orders', description: 'Orders from grabs (orders).' },
        { name: 'jobs', description: 'Scheduled jobs (orders, reconcile); internal.' },
        { name: 'events', description: 'CloudEvent sinks behind the KafkaSource (create-order); internal.' },
        { name: 'meta', description: 'This document.' },
      ],
    },
    Object.values(CONTRACTS).flat(),
  );
}

/** The document as written to `docs/openapi.json` (stable formatting, so a diff shows real drift). */
export function renderOpenApi(): string {
  return `${JSON.stringify(buildOpenApi(), null, 2)}\n`;
}
