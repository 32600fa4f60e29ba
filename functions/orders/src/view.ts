import type { Order, OrderStatus } from '@couponkill/orders';
import { z } from 'zod';

/** Order ids are ULIDs (upper-case Crockford base32); anything else is answered as not found. */
const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

export function isOrderId(value: string): boolean {
  return ULID.test(value);
}

/** `GET /api/v1/orders`: a page of 1…100 orders (20 by default) after the cursor of the last page. */
export const listQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  // `cursor=` (empty) is the first page too, for clients that always send the parameter.
  cursor: z.preprocess(
    (value) => (value === '' ? undefined : value),
    z.string().regex(ULID, 'must be the nextCursor of the previous page').optional(),
  ),
});
export type ListQuery = z.output<typeof listQuerySchema>;

/** What the owner of an order is shown: no user id, no internal sequence number; money in cents. */
export interface OrderView {
  readonly id: string;
  readonly grabId: string;
  readonly couponId: string;
  readonly status: OrderStatus;
  readonly faceValue: number;
  readonly minSpend: number;
  /** ISO 8601, UTC. */
  readonly validUntil: string;
  /** ISO 8601, UTC. */
  readonly createdAt: string;
}

export function orderView(order: Order): OrderView {
  return {
    id: order.id,
    grabId: order.grabId,
    couponId: order.couponId,
    status: order.status,
    // The same names and unit (cents) as the coupon's own `faceValue` and `minSpend`.
    faceValue: order.faceValueCents,
    minSpend: order.minSpendCents,
    validUntil: order.validUntil.toISOString(),
    createdAt: order.createdAt.toISOString(),
  };
}

export function orderPage(page: { items: readonly Order[]; nextCursor: string | null }) {
  return { items: page.items.map(orderView), nextCursor: page.nextCursor };
}
