import { couponIdListSchema } from '@couponkill/coupons';
import { defineContract } from '@couponkill/http';
import { z } from 'zod';

const report = z.strictObject({
  couponId: z.string(),
  verdict: z.enum(['CONSISTENT', 'DRIFT', 'IN_FLIGHT', 'NOT_FOUND']),
  totalStock: z.int(),
  liveOrders: z.int(),
  ordersByStatus: z.record(z.string(), z.int()),
  redis: z.strictObject({ present: z.boolean(), stockLeft: z.int().nullable(), expectedStockLeft: z.int() }),
  inFlight: z.strictObject({ outbox: z.int(), consumerLag: z.int(), queued: z.int(), deadLetters: z.int() }),
  userMismatches: z.int(),
  repaired: z.boolean(),
  actions: z.array(z.string()),
});

export const auditContract = defineContract({
  method: 'POST',
  path: '/jobs/audit',
  operationId: 'audit',
  summary: 'Job: compare the sale state in Redis with the orders in MySQL, and repair it',
  description:
    "Called on a schedule with the job token; not routed from the public gateway. A repair pauses the coupon's " +
    'grabs (503 with Retry-After) for a few seconds, waits for accepted grabs to become orders, and replaces the ' +
    'state only if nothing changed it meanwhile; dead-lettered grabs keep their units.',
  tags: ['jobs'],
  auth: 'job',
  request: {
    body: z.strictObject({
      couponIds: couponIdListSchema(1000),
      repair: z.boolean().default(true),
    }),
  },
  bodyExample: { couponIds: ['01JCK7Q8ZK3M6V4T2R1P0N9B8A'], repair: true },
  responses: {
    200: {
      description: 'One report per coupon.',
      schema: z.strictObject({ reports: z.array(report) }),
      example: {
        reports: [
          {
            couponId: '01JCK7Q8ZK3M6V4T2R1P0N9B8A',
            verdict: 'CONSISTENT',
            totalStock: 1000,
            liveOrders: 1000,
            ordersByStatus: { UNUSED: 990, USED: 10 },
            redis: { present: true, stockLeft: 0, expectedStockLeft: 0 },
            inFlight: { outbox: 0, consumerLag: 0, queued: 0, deadLetters: 0 },
            userMismatches: 0,
            repaired: false,
            actions: [],
          },
        ],
      },
    },
  },
  errors: [],
});

/** The routes of this function (the OpenAPI document finds them by this name). */
export const contracts = [auditContract];
