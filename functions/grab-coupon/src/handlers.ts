import { authenticate, bearerToken, type Caller, type Verify } from '@couponkill/auth';
import { AppError } from '@couponkill/errors';
import type { FlowGate } from '@couponkill/flow';
import {
  clientIp,
  type DirectRoute,
  type HttpRequest,
  implement,
  parseWith,
  type Route,
  type RouteReply,
  type Shortcut,
} from '@couponkill/http';
import { type GrabRefusal, isCouponId, type Sale } from '@couponkill/sale';
import { grabContract } from './contract.js';
import type { SoldOutMarks } from './sold-out.js';

/** Retry-After of a grab shed because the instance is at its cap: the next second has room again. */
const AT_CAP_RETRY_MS = 1000;

export interface GrabDeps {
  readonly verify: Verify;
  readonly sale: Sale;
  readonly soldOut: SoldOutMarks;
  readonly flow: FlowGate;
  /** Proxies in front that append to X-Forwarded-For (see `clientIp`). */
  readonly trustedProxyHops: number;
}

/** W3C trace context, version 00 (anything else is dropped rather than passed on). */
const TRACEPARENT = /^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;

const REFUSALS: Record<Exclude<GrabRefusal, 'NOT_STARTED' | 'RATE_LIMITED' | 'PAUSED' | 'UNAVAILABLE'>, AppError> = {
  NOT_FOUND: new AppError('NOT_FOUND', 'No such coupon, or it is not on sale.'),
  INACTIVE: new AppError('INACTIVE', 'This coupon is not on sale right now.'),
  ENDED: new AppError('ENDED', 'The sale of this coupon has ended.'),
  LIMIT_REACHED: new AppError('LIMIT_REACHED', 'You already hold as many of this coupon as allowed.'),
  SOLD_OUT: new AppError('SOLD_OUT', 'This coupon is sold out.'),
  BACKLOGGED: new AppError(
    'UNAVAILABLE',
    'Orders are not being written fast enough right now; nothing was taken. Retry after the time in Retry-After.',
    { retryAfterSeconds: 2 },
  ),
};

/**
 * The 503s of a grab Redis did not answer in time. Either the fence made sure nothing was taken,
 * or Redis stayed out of reach and the outcome is open: a retry with the same Idempotency-Key
 * (the grab id derives from it) is answered from the grab if it was taken.
 */
const NOTHING_TAKEN = new AppError(
  'UNAVAILABLE',
  'The sale did not answer in time; nothing was taken. Retry after the time in Retry-After.',
  { retryAfterSeconds: 1 },
);
const OUTCOME_UNKNOWN = new AppError(
  'UNAVAILABLE',
  'The sale did not answer in time and whether this grab took a unit is not known yet. Retry with the same ' +
    'Idempotency-Key to learn it (a taken unit is answered 202 and never taken twice).',
  { retryAfterSeconds: 2 },
);

/** 429 with `Retry-After`: the seconds until the emptiest bucket has a token again (at least 1). */
function rateLimited(retryAfterMs: number): AppError {
  return new AppError('RATE_LIMITED', 'Too many grab requests right now; retry after the time in Retry-After.', {
    retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)),
  });
}

export function grabRoutes(deps: GrabDeps): Route[] {
  return [
    implement(grabContract, async ({ req, params, headers }) =>
      // Already verified by the route guard: this is its cached answer.
      grab(deps, req, await authenticate(deps.verify, req.headers), params.id, headers),
    ),
  ];
}

type GrabHeaders = { readonly 'idempotency-key'?: string | undefined; readonly traceparent?: string | undefined };

/** One grab of `couponId` by `caller` (verified): the route's handler, on either path. */
async function grab(
  deps: GrabDeps,
  req: HttpRequest,
  caller: Caller,
  couponId: string,
  headers: GrabHeaders,
): Promise<RouteReply> {
  // The cheapest shedding first: an instance at its cap answers before any Redis work.
  if (!deps.flow.enter()) throw rateLimited(AT_CAP_RETRY_MS);
  try {
    if (!isCouponId(couponId)) throw REFUSALS.NOT_FOUND;
    if (deps.soldOut.isSoldOut(couponId)) throw REFUSALS.SOLD_OUT;
    const { traceparent } = headers;
    const idempotencyKey = headers['idempotency-key'];
    const ip = clientIp(req.headers, req.socket.remoteAddress, deps.trustedProxyHops);
    const outcome = await deps.flow.grab({ couponId, userId: caller.userId, ip }, (flow) =>
      deps.sale.grab(
        couponId,
        caller.userId,
        typeof traceparent === 'string' && TRACEPARENT.test(traceparent) ? traceparent : '',
        flow,
        idempotencyKey,
      ),
    );
    if (outcome.ok) {
      return {
        status: 202,
        body: { grabId: outcome.grabId, status: 'QUEUED', couponId, seq: outcome.seq },
        headers: { location: `/api/v1/grabs/${outcome.grabId}` },
      };
    }
    if (outcome.refusal === 'RATE_LIMITED') throw rateLimited(outcome.retryAfterMs);
    if (outcome.refusal === 'UNAVAILABLE') throw outcome.nothingTaken ? NOTHING_TAKEN : OUTCOME_UNKNOWN;
    if (outcome.refusal === 'NOT_STARTED') {
      throw new AppError('NOT_STARTED', 'The sale of this coupon has not started yet.', {
        retryAfterSeconds: Math.max(1, Math.ceil((outcome.retryInMs ?? 1000) / 1000)),
      });
    }
    if (outcome.refusal === 'PAUSED') {
      throw new AppError('UNAVAILABLE', 'The sale of this coupon is paused for a moment; nothing was taken.', {
        retryAfterSeconds: Math.max(1, Math.ceil((outcome.retryInMs ?? 1000) / 1000)),
      });
    }
    if (outcome.refusal === 'SOLD_OUT') deps.soldOut.mark(couponId);
    throw REFUSALS[outcome.refusal];
  } finally {
    deps.flow.leave();
  }
}

const GRAB_PATH_HEAD = '/api/v1/coupons/';
const GRAB_PATH_TAIL = '/grab';

/**
 * A coupon this instance knows to be sold out is answered before the request id is taken, the
 * route matched, the token verified or the input validated: 409 SOLD_OUT tells nothing that is
 * not public (the coupon's page shows it), and it is what most of a sale's flood gets. A request
 * without a bearer-shaped Authorization header still gets 401 first (the normal path answers it),
 * and anything unusual (a query string, an encoded id, another method) goes the normal way, whose
 * handler consults the same mark once the caller is known. See docs/flow-control.md.
 */
export function soldOutShortcut(soldOut: SoldOutMarks): Shortcut {
  return {
    route: grabContract.path,
    check(req) {
      const couponId = plainGrabCoupon(req);
      if (couponId === undefined || !soldOut.isSoldOut(couponId)) return undefined;
      try {
        bearerToken(req.headers);
      } catch {
        return undefined;
      }
      return REFUSALS.SOLD_OUT;
    },
  };
}

/**
 * The grab of the plain shape (`POST /api/v1/coupons/<ULID>/grab`, no query, no body), which is
 * nearly every grab, goes straight to the handler: no router, no contract wrapper. It does what
 * those do for such a request, in their order: the route guard's authentication (401 first), then
 * the contract's header validation (400). Every other request goes the normal way.
 */
export function directGrab(deps: GrabDeps): DirectRoute {
  return {
    route: grabContract.path,
    accepts(req) {
      const length = req.headers['content-length'];
      if (req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')) return false;
      return plainGrabCoupon(req) !== undefined;
    },
    async handle({ req }) {
      // As the route guard would, without remembering the answer for a second look (there is none).
      const caller = await deps.verify(bearerToken(req.headers));
      const headers = parseWith(grabContract.request.headers, req.headers, 'header');
      return grab(deps, req, caller, plainGrabCoupon(req) ?? '', headers);
    },
  };
}

/**
 * The coupon of a grab of the plain shape (`POST /api/v1/coupons/<ULID>/grab`, no query, no
 * encoding), or undefined for any other request. Read from the URL the router would route
 * (Express rewrites `url` under a mounted router).
 */
function plainGrabCoupon(req: HttpRequest): string | undefined {
  const url = req.originalUrl ?? req.url;
  if (req.method !== 'POST' || url === undefined) return undefined;
  if (!url.startsWith(GRAB_PATH_HEAD) || !url.endsWith(GRAB_PATH_TAIL)) return undefined;
  const couponId = url.slice(GRAB_PATH_HEAD.length, url.length - GRAB_PATH_TAIL.length);
  return isCouponId(couponId) ? couponId : undefined;
}
