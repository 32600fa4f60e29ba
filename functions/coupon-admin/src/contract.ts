import { defineContract } from '@couponkill/http';
import { z } from 'zod';
import { createCouponBodySchema, deleteQuerySchema, listQuerySchema, patchCouponBodySchema } from './schemas.js';

const couponView = z.strictObject({
  id: z.string(),
  name: z.string(),
  type: z.enum(['seckill', 'normal']),
  faceValue: z.int().describe('Cents.'),
  minSpend: z.int().describe('Cents; 0 = no minimum.'),
  validDays: z.int(),
  perUserLimit: z.int(),
  totalStock: z.int(),
  window: z.strictObject({ start: z.iso.datetime(), end: z.iso.datetime() }).nullable(),
  status: z.enum(['active', 'inactive']),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  remaining: z.int().nullable().describe('Units left in the sale; null when the sale state is not written.'),
});

const ID = '01JCK7Q8ZK3M6V4T2R1P0N9B8A';
const createExample = {
  name: 'Double 11: 100 off 500',
  type: 'seckill',
  faceValue: 10000,
  minSpend: 50000,
  validDays: 7,
  perUserLimit: 1,
  totalStock: 1000,
  window: { start: '2030-11-11T12:00:00Z', end: '2030-11-11T12:10:00Z' },
};
const example = {
  id: ID,
  ...createExample,
  window: { start: '2030-11-11T12:00:00.000Z', end: '2030-11-11T12:10:00.000Z' },
  status: 'active',
  createdAt: '2030-11-01T09:00:00.000Z',
  updatedAt: '2030-11-01T09:00:00.000Z',
  remaining: 1000,
};
const couponId = z.strictObject({ id: z.string().max(128).describe('The coupon id (a ULID).') });

export const createCouponContract = defineContract({
  method: 'POST',
  path: '/api/v1/coupons',
  operationId: 'createCoupon',
  summary: 'Create a coupon and write its sale state',
  description: 'A seckill coupon needs a sale window; a normal coupon has none.',
  tags: ['coupons'],
  auth: 'admin',
  request: { body: createCouponBodySchema },
  bodyExample: createExample,
  responses: { 201: { description: 'The coupon, on sale.', schema: couponView, example } },
  errors: [],
});

export const listCouponsContract = defineContract({
  method: 'GET',
  path: '/api/v1/coupons',
  operationId: 'listCoupons',
  summary: 'Coupons, a page at a time, with the units left',
  tags: ['coupons'],
  auth: 'none',
  request: { query: listQuerySchema },
  responses: {
    200: {
      description: 'A page; `nextCursor` is null on the last one.',
      schema: z.strictObject({ items: z.array(couponView), nextCursor: z.string().nullable() }),
      example: { items: [example], nextCursor: null },
    },
  },
  errors: [],
});

export const getCouponContract = defineContract({
  method: 'GET',
  path: '/api/v1/coupons/:id',
  operationId: 'getCoupon',
  summary: 'One coupon with the units left',
  description: 'A malformed id is answered like an unknown one (404).',
  tags: ['coupons'],
  auth: 'none',
  request: { params: couponId },
  responses: { 200: { description: 'The coupon.', schema: couponView, example } },
  errors: ['NOT_FOUND'],
});

export const patchCouponContract = defineContract({
  method: 'PATCH',
  path: '/api/v1/coupons/:id',
  operationId: 'updateCoupon',
  summary: 'Change name, status, window, stock or limit',
  description:
    'Type and money are fixed once created. A total stock below the units already taken is a 409 naming the count.',
  tags: ['coupons'],
  auth: 'admin',
  request: { params: couponId, body: patchCouponBodySchema },
  bodyExample: { totalStock: 2000, status: 'active' },
  responses: { 200: { description: 'The changed coupon.', schema: couponView, example } },
  errors: ['NOT_FOUND', 'CONFLICT'],
});

export const deleteCouponContract = defineContract({
  method: 'DELETE',
  path: '/api/v1/coupons/:id',
  operationId: 'deleteCoupon',
  summary: 'Delete a coupon and stop its sale',
  description: 'Refused (409) while it has live orders, unless `force=true`.',
  tags: ['coupons'],
  auth: 'admin',
  request: { params: couponId, query: deleteQuerySchema },
  responses: { 204: { description: 'Deleted.' } },
  errors: ['NOT_FOUND', 'CONFLICT'],
});

export const preheatCouponContract = defineContract({
  method: 'POST',
  path: '/api/v1/coupons/:id/preheat',
  operationId: 'preheatCoupon',
  summary: 'Rewrite the sale state of a coupon from MySQL',
  description: 'No request body. Never refills: stock only moves by a change of the total.',
  tags: ['coupons'],
  auth: 'admin',
  request: { params: couponId },
  responses: {
    200: {
      description: 'The units left in the sale.',
      schema: z.strictObject({ id: z.string(), remaining: z.int() }),
      example: { id: ID, remaining: 1000 },
    },
  },
  errors: ['NOT_FOUND', 'CONFLICT'],
});

/** The routes of this function (the OpenAPI document finds them by this name). */
export const contracts = [
  createCouponContract,
  listCouponsContract,
  getCouponContract,
  patchCouponContract,
  deleteCouponContract,
  preheatCouponContract,
];
