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
    'like an unknown one (404). A coupon the instance has just seen sold out is answered 409 SOLD_OUT before the ' +
    'token is verified or the input validated (a request without a bearer `Authorization` header still gets 401).\n\n' +
    'Send an `Idempotency-Key` to make retries safe: the same user, coupon and key never take a second unit, and ' +
    'once a unit was taken every retry gets the same 202 (same `grabId`), on any instance, for as long as the grab ' +
    'is readable. A refusal took nothing and is decided afresh on retry. A 503 UNAVAILABLE (Redis did not answer ' +
    'in time, a sale is paused for an audit, or its outbox is backlogged) comes with `Retry-After`; its ' +
    'message says whether nothing was taken or the outcome is not known yet — a retry with the same key then ' +
    'learns it.',
  tags: ['grabs'],
  auth: 'user',
  request: {
    params: z.strictObject({ id: z.string().max(128).describe('The coupon id (a ULID).') }),
    headers: z.object({
      'idempotency-key': z
        .string()
        .regex(/^[A-Za-z0-9._:-]{1,64}$/, '1 to 64 characters of A-Z a-z 0-9 . _ : -')
        .optional()
        .describe('Makes retries safe: the same key never takes a second unit and gets the same 202.'),
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
  errors: ['NOT_FOUND', 'SOLD_OUT', 'LIMIT_REACHED', 'INACTIVE', 'NOT_STARTED', 'ENDED', 'RATE_LIMITED', 'UNAVAILABLE'],
});

/** The routes of this function (the OpenAPI document finds them by this name). */
export const contracts = [grabContract];
