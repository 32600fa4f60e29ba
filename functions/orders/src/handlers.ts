import { authenticate, type Verify } from '@couponkill/auth';
import { AppError, dependencyError } from '@couponkill/errors';
import { type HttpRequest, implement, type Route } from '@couponkill/http';
import type { Order, OrderStore } from '@couponkill/orders';
import {
  cancelOrderContract,
  expireOrdersContract,
  getOrderContract,
  listOrdersContract,
  useOrderContract,
} from './contract.js';
import type { OrderLifecycle } from './lifecycle.js';
import { isOrderId, orderPage, orderView } from './view.js';

export interface OrdersDeps {
  readonly verify: Verify;
  readonly orders: OrderStore;
  readonly lifecycle: OrderLifecycle;
  /** Resolves for the scheduled caller or an admin, throws 401/403 for anyone else. */
  readonly authorizeJob: (headers: HttpRequest['headers']) => Promise<void>;
  readonly expiry: { readonly batchLimit: number; readonly concurrency: number };
}

// A malformed id, an unknown order and someone else's order all get this same 404: orders are
// looked up in the caller's own shard with the caller's user id, so ids cannot be probed.
const notFound = () => new AppError('NOT_FOUND', 'No such order.');

export function ordersRoutes(deps: OrdersDeps): Route[] {
  /** The caller's own order, or a 401/404 — always decided before anything is written. */
  async function ownOrder(req: HttpRequest, orderId: string): Promise<Order> {
    const caller = await authenticate(deps.verify, req.headers);
    const order = isOrderId(orderId) ? await deps.orders.get(caller.userId, orderId) : undefined;
    if (order === undefined) throw notFound();
    return order;
  }

  return [
    implement(listOrdersContract, async ({ req, query }) => {
      const caller = await authenticate(deps.verify, req.headers);
      return { status: 200, body: orderPage(await deps.orders.listForUser(caller.userId, query)) };
    }),
    implement(getOrderContract, async ({ req, params }) => {
      return { status: 200, body: orderView(await ownOrder(req, params.id)) };
    }),
    implement(cancelOrderContract, async ({ req, params, log }) => {
      const order = await ownOrder(req, params.id);
      return { status: 200, body: orderView(await deps.lifecycle.cancel(order, log)) };
    }),
    implement(useOrderContract, async ({ req, params, log }) => {
      const order = await ownOrder(req, params.id);
      return { status: 200, body: orderView(await deps.lifecycle.use(order, log)) };
    }),
    // Called on a schedule (see jobGuard in @couponkill/auth); never routed from the public gateway.
    implement(expireOrdersContract, async ({ req, log }) => {
      await deps.authorizeJob(req.headers);
      try {
        const run = await deps.lifecycle.expireDue(deps.expiry.batchLimit, deps.expiry.concurrency, log);
        log.info(run, 'expired past-due orders');
        return { status: 200, body: run };
      } catch (err) {
        // Orders expired before the failure stay expired; the next run picks up the rest. Only a
        // dependency that failed is UNAVAILABLE: a bug stays a bug (INTERNAL), an AppError as it is.
        const unavailable = dependencyError(err);
        if (unavailable === undefined) throw err;
        throw new AppError('UNAVAILABLE', 'Orders cannot be expired right now; the next run retries.', {
          cause: err,
          retryAfterSeconds: unavailable.retryAfterSeconds,
        });
      }
    }),
  ];
}
