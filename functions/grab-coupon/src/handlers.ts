import { authenticate, type Verify } from '@couponkill/auth';
import { AppError } from '@couponkill/errors';
import { implement, type Route } from '@couponkill/http';
import { type GrabRefusal, isCouponId, type Sale } from '@couponkill/sale';
import { grabContract } from './contract.js';
import type { SoldOutMarks } from './sold-out.js';

export interface GrabDeps {
  readonly verify: Verify;
  readonly sale: Sale;
  readonly soldOut: SoldOutMarks;
}

/** W3C trace context, version 00 (anything else is dropped rather than passed on). */
const TRACEPARENT = /^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;

const REFUSALS: Record<Exclude<GrabRefusal, 'NOT_STARTED'>, AppError> = {
  NOT_FOUND: new AppError('NOT_FOUND', 'No such coupon, or it is not on sale.'),
  INACTIVE: new AppError('INACTIVE', 'This coupon is not on sale right now.'),
  ENDED: new AppError('ENDED', 'The sale of this coupon has ended.'),
  LIMIT_REACHED: new AppError('LIMIT_REACHED', 'You already hold as many of this coupon as allowed.'),
  SOLD_OUT: new AppError('SOLD_OUT', 'This coupon is sold out.'),
};

export function grabRoutes(deps: GrabDeps): Route[] {
  return [
    implement(grabContract, async ({ req, params, headers }) => {
      const caller = await authenticate(deps.verify, req.headers);
      const couponId = params.id;
      if (!isCouponId(couponId)) throw REFUSALS.NOT_FOUND;
      if (deps.soldOut.isSoldOut(couponId)) throw REFUSALS.SOLD_OUT;
      const { traceparent } = headers;
      const outcome = await deps.sale.grab(
        couponId,
        caller.userId,
        typeof traceparent === 'string' && TRACEPARENT.test(traceparent) ? traceparent : '',
      );
      if (outcome.ok) {
        return {
          status: 202,
          body: { grabId: outcome.grabId, status: 'QUEUED', couponId, seq: outcome.seq },
          headers: { location: `/api/v1/grabs/${outcome.grabId}` },
        };
      }
      if (outcome.refusal === 'NOT_STARTED') {
        throw new AppError('NOT_STARTED', 'The sale of this coupon has not started yet.', {
          retryAfterSeconds: Math.max(1, Math.ceil((outcome.startsInMs ?? 1000) / 1000)),
        });
      }
      if (outcome.refusal === 'SOLD_OUT') deps.soldOut.mark(couponId);
      throw REFUSALS[outcome.refusal];
    }),
  ];
}
