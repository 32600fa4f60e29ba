import type { Order } from '@couponkill/orders';
import { describe, expect, it } from 'vitest';
import { isOrderId, listQuerySchema, orderPage, orderView } from '../src/view.js';

const ID = '01JB8Z3Q4X5Y6Z7A8B9C0D1E2F';

const order = (overrides: Partial<Order> = {}): Order => ({
  id: ID,
  grabId: '01JB8Z3Q4X5Y6Z7A8B9C0D1E2G_01JB8Z3Q4X5Y6Z7A8B9C0D1E2H',
  userId: 'u-owner',
  couponId: '01JB8Z3Q4X5Y6Z7A8B9C0D1E2G',
  seq: 3,
  status: 'UNUSED',
  faceValueCents: 10_000,
  minSpendCents: 50_000,
  validUntil: new Date(Date.UTC(2025, 10, 18, 0, 0, 0, 5)),
  acceptedAt: new Date(Date.UTC(2025, 10, 11, 0, 0, 0, 5)),
  createdAt: new Date(Date.UTC(2025, 10, 11, 0, 0, 0, 9)),
  ...overrides,
});

describe('order ids', () => {
  it('accepts a ULID', () => {
    expect(isOrderId(ID)).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['lower case', ID.toLowerCase()],
    ['too short', ID.slice(1)],
    ['letters outside Crockford base32', `${ID.slice(0, 24)}IL`],
    ['a LIKE pattern', `${ID.slice(0, 25)}%`],
  ])('refuses %s', (_name, id) => {
    expect(isOrderId(id)).toBe(false);
  });
});

describe('paging parameters', () => {
  const parse = (query: Record<string, string>) => listQuerySchema.safeParse(query);

  it('defaults to 20 orders from the newest', () => {
    expect(parse({})).toMatchObject({ success: true, data: { limit: 20 } });
    expect(parse({}).data?.cursor).toBeUndefined();
  });

  it('reads the limit from the query string and keeps it within 1…100', () => {
    expect(parse({ limit: '1' }).data?.limit).toBe(1);
    expect(parse({ limit: '100' }).data?.limit).toBe(100);
    for (const limit of ['0', '101', '-1', '2.5', 'ten', '']) expect(parse({ limit }).success, limit).toBe(false);
  });

  it('takes an order id as the cursor; an empty one means the first page', () => {
    expect(parse({ cursor: ID }).data?.cursor).toBe(ID);
    expect(parse({ cursor: '' })).toMatchObject({ success: true });
    expect(parse({ cursor: '' }).data?.cursor).toBeUndefined();
    for (const cursor of ['null', ID.toLowerCase(), `${ID}'`]) expect(parse({ cursor }).success, cursor).toBe(false);
  });
});

describe('the owner’s view of an order', () => {
  it('keeps out the user id, sequence and accept time; money in cents; times in ISO 8601', () => {
    expect(orderView(order())).toEqual({
      id: ID,
      grabId: '01JB8Z3Q4X5Y6Z7A8B9C0D1E2G_01JB8Z3Q4X5Y6Z7A8B9C0D1E2H',
      couponId: '01JB8Z3Q4X5Y6Z7A8B9C0D1E2G',
      status: 'UNUSED',
      faceValue: 10_000,
      minSpend: 50_000,
      validUntil: '2025-11-18T00:00:00.005Z',
      createdAt: '2025-11-11T00:00:00.009Z',
    });
  });

  it('shapes a page, keeping its order and cursor', () => {
    const second = order({ id: '01JB8Z3Q4X5Y6Z7A8B9C0D1E2E', status: 'CANCELLED' });
    const page = orderPage({ items: [order(), second], nextCursor: second.id });
    expect(page.items.map((o) => [o.id, o.status])).toEqual([
      [ID, 'UNUSED'],
      [second.id, 'CANCELLED'],
    ]);
    expect(page.nextCursor).toBe(second.id);
    expect(orderPage({ items: [], nextCursor: null })).toEqual({ items: [], nextCursor: null });
  });
});
