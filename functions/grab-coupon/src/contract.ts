import { defineContract } from '@couponkill/http';
import { z } from 'zod';

const GRAB_ID_EXAMPLE = '01JCK7Q8ZK3M6V4T2R1P0N9B8A_01JCK7R2YV5F8W3D1H0G6T4S2Q';

export const grabContract = defineContract({
  method: 'POST',
  path: '/api/v1/coupons/:id/grab',
  operationId: 'grabCoupon',
  summary: 'Grab one unit of a coupon',
  description:
    'Decided in one Redis step (status, window, flow-rule buckets, per-user limit, stock). A grab shed by a flow ' +
    'rule gets 429 RATE_LIMITED with Retry-After and touches no stock. 202 means the unit is held for the caller ' +
    'and an order is on its way; follow it at the `Location`. No request body. A malformed coupon id is answered ' +
    'like an unknown one (404).',
  tags: ['grabs'],
  auth: 'user',
  request: {
    params: z.strictObject({ id: z.string().max(128).describe('The coupon id (a ULID).') }),
    headers: z.object({
      traceparent: z
        .string()
        .optional()
        .describe('W3C trace context; carried to the order event (a malformed one is dropped).'),
    }),
  },
  responses: {
    202: {
      description: 'Accepted: the unit is held; the order is created asynchronously.',
      schema: z.strictObject({
        grabId: z.string(),
        status: z.literal('QUEUED'),
        couponId: z.string(),
        seq: z.int().min(1).describe("The caller's n-th accepted grab of this coupon."),
      }),
      example: { grabId: GRAB_ID_EXAMPLE, status: 'QUEUED', couponId: '01JCK7Q8ZK3M6V4T2R1P0N9B8A', seq: 1 },
      headers: { location: 'Where the grab result is: /api/v1/grabs/{grabId}' },
    },
  },
  errors: ['NOT_FOUND', 'SOLD_OUT', 'LIMIT_REACHED', 'INACTIVE', 'NOT_STARTED', 'ENDED', 'RATE_LIMITED'],
});

export const grabCouponContracts = [grabContract];
