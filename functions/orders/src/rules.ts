import { AppError } from '@couponkill/errors';
import type { Order, OrderStatus } from '@couponkill/orders';

/** What a user may do with an UNUSED order; every other status is final. */
export type OrderAction = 'cancel' | 'use';

/** Why an order cannot take an action: a final status, or UNUSED but past its validity. */
export type Blocker = Exclude<OrderStatus, 'UNUSED'> | 'PAST_DUE';

/**
 * An order is usable up to, not including, `validUntil`; the expiry job uses the same bound
 * (`valid_until <= now`). Time is the pod's clock, as for every other check of this function.
 */
export function isPastDue(order: Pick<Order, 'validUntil'>, now: Date): boolean {
  return order.validUntil.getTime() <= now.getTime();
}

/** Undefined when the order may be cancelled or used now, otherwise why not. */
export function blockerOf(order: Pick<Order, 'status' | 'validUntil'>, now: Date): Blocker | undefined {
  if (order.status !== 'UNUSED') return order.status;
  return isPastDue(order, now) ? 'PAST_DUE' : undefined;
}

/** The 409 for an action the order's state refuses, saying which state. */
export function conflictOf(action: OrderAction, blocker: Blocker, validUntil: Date): AppError {
  const verb = action === 'cancel' ? 'cancelled' : 'used';
  switch (blocker) {
    case 'USED':
      return new AppError(
        'CONFLICT',
        action === 'use' ? 'This order is already used.' : `This order has been used; it can no longer be ${verb}.`,
      );
    case 'CANCELLED':
      return new AppError(
        'CONFLICT',
        action === 'cancel'
          ? 'This order is already cancelled.'
          : `This order has been cancelled; it can no longer be ${verb}.`,
      );
    case 'EXPIRED':
    case 'PAST_DUE':
      return new AppError(
        'CONFLICT',
        `This order expired at ${validUntil.toISOString()}; it can no longer be ${verb}.`,
      );
  }
}
