import { defineContract } from '@couponkill/http';
import { z } from 'zod';
import { listQuerySchema } from './view.js';

const orderView = z.strictObject({
  id: z.string(),
  grabId: z.string(),
  couponId: z.string(),
  status: z.enum(['UNUSED', 'USED', 'CANCELLED', 'EXPIRED']),
  faceValue: z.int().describe('Cents.'),
  minSpend: z.int().describe('Cents; 0 = no minimum.'),
  validUntil: z.iso.datetime(),
  createdAt: z.iso.datetime(),
});

const example = {
  id: '01JCK7R3B0C4D8E2F6G0H4J8K2',
  grabId: '01JCK7Q8ZK3M6V4T2R1P0N9B8A_01JCK7R2YV5F8W3D1H0G6T4S2Q',
  couponId: '01JCK7Q8ZK3M6V4T2R1P0N9B8A',
  status: 'UNUSED',
  faceValue: 10000,
  minSpend: 50000,
  validUntil: '2030-11-18T12:00:00.000Z',
  createdAt: '2030-11-11T12:00:00.456Z',
};

const orderId = z.strictObject({ id: z.string().max(128).describe('The order id (a ULID).') });
const notProbed = "Someone else's order, an unknown one and a malformed id are all 404.";

export const listOrdersContract = defineContract({
  method: 'GET',
  path: '/api/v1/orders',
  operationId: 'listOrders',
  summary: "The caller's orders, newest first, a page at a time",
  tags: ['orders'],
  auth: 'user',
  request: { query: listQuerySchema },
  responses: {
    200: {
      description: 'A page; `nextCursor` is null on the last one.',
      schema: z.strictObject({ items: z.array(orderView), nextCursor: z.string().nullable() }),
      example: { items: [example], nextCursor: null },
    },
  },
  errors: [],
});

export const getOrderContract = defineContract({
  method: 'GET',
  path: '/api/v1/orders/:id',
  operationId: 'getOrder',
  summary: 'One of the caller’s orders',
  description: notProbed,
  tags: ['orders'],
  auth: 'user',
  request: { params: orderId },
  responses: { 200: { description: 'The order.', schema: orderView, example } },
  errors: ['NOT_FOUND'],
});

export const cancelOrderContract = defineContract({
  method: 'POST',
  path: '/api/v1/orders/:id/cancel',
  operationId: 'cancelOrder',
  summary: 'Cancel an unused order; its unit goes back on sale',
  description: `No request body. ${notProbed} Only an UNUSED order can be cancelled (409 otherwise).`,
  tags: ['orders'],
  auth: 'user',
  request: { params: orderId },
  responses: {
    200: { description: 'The cancelled order.', schema: orderView, example: { ...example, status: 'CANCELLED' } },
  },
  errors: ['NOT_FOUND', 'CONFLICT'],
});

export const useOrderContract = defineContract({
  method: 'POST',
  path: '/api/v1/orders/:id/use',
  operationId: 'useOrder',
  summary: 'Redeem an unused, unexpired order',
  description: `No request body. ${notProbed} Only an UNUSED order within its validity can be used (409 otherwise).`,
  tags: ['orders'],
  auth: 'user',
  request: { params: orderId },
  responses: { 200: { description: 'The used order.', schema: orderView, example: { ...example, status: 'USED' } } },
  errors: ['NOT_FOUND', 'CONFLICT'],
});

export const expireOrdersContract = defineContract({
  method: 'POST',
  path: '/jobs/expire-orders',
  operationId: 'expireOrders',
  summary: 'Job: expire past-due orders and give their units back',
  description:
    'Called on a schedule with the job token, or by an admin; not routed from the public gateway. A body, if ' +
    'any (a scheduler may post its CloudEvent), must be a JSON object and is ignored.',
  tags: ['jobs'],
  auth: 'job',
  request: { body: z.record(z.string(), z.unknown()).optional() },
  responses: {
    200: {
      description: 'What this run did; `more` = the batch limit was hit, more may be due.',
      schema: z.strictObject({ expired: z.int().min(0), released: z.int().min(0), more: z.boolean() }),
      example: { expired: 120, released: 120, more: false },
    },
  },
  errors: ['UNAVAILABLE'],
});

/** The routes of this function (the OpenAPI document finds them by this name). */
export const contracts = [
  listOrdersContract,
  getOrderContract,
  cancelOrderContract,
  useOrderContract,
  expireOrdersContract,
];
