import { authenticate, requireRole, type Verify } from '@couponkill/auth';
import { type Coupon, type CouponStore, publicCoupon, toSaleSettings } from '@couponkill/coupons';
import { AppError } from '@couponkill/errors';
import { implement, parseWith, type Route } from '@couponkill/http';
import type { Logger } from '@couponkill/logging';
import { isCouponId, type Sale } from '@couponkill/sale';
import {
  createCouponContract,
  deleteCouponContract,
  getCouponContract,
  listCouponsContract,
  patchCouponContract,
  preheatCouponContract,
} from './contract.js';
import { couponPatchOf, createBodyOf, createCouponBodySchema, newCouponOf } from './schemas.js';

/** Orders of a coupon that are neither used, cancelled nor expired; answered by the order store. */
export type CountLiveOrders = (couponId: string) => Promise<number>;

export interface CouponAdminDeps {
  readonly verify: Verify;
  readonly coupons: CouponStore;
  readonly sale: Sale;
  readonly countLiveOrders: CountLiveOrders;
  /** Orders holding a unit (unused or used): what a sale state rebuilt from scratch must count as sold. */
  readonly countHeldOrders: CountLiveOrders;
}

/** On sale: active and its window not over (a coupon whose sale ended can be deleted once drained). */
function onSale(coupon: Coupon, now = Date.now()): boolean {
  return coupon.status === 'active' && (coupon.endAt === null || Date.parse(coupon.endAt) > now);
}

type Headers = Parameters<typeof authenticate>[1];

// A malformed id gets the same 404 as an unknown one: there is nothing else to say about it.
const notFound = () => new AppError('NOT_FOUND', 'No such coupon.');

/** The coupon as answered: its definition plus the units left in the sale (null: not preheated). */
const view = (coupon: Coupon, remaining: number | undefined) => ({
  ...publicCoupon(coupon),
  remaining: remaining ?? null,
});

export function couponAdminRoutes(deps: CouponAdminDeps): Route[] {
  const requireAdmin = async (headers: Headers) => requireRole(await authenticate(deps.verify, headers), 'admin');

  /**
   * Writes the sale state; a total below what is already taken is a 409 naming the count, and a
   * coupon that has orders but lost its sale state is a 409 pointing to an audit (a
   * preheat never refills stock over orders already written).
   */
  const preheat = async (coupon: Coupon, isNew = false): Promise<number> => {
    const outcome = await deps.sale.preheat(coupon.id, toSaleSettings(coupon), async () =>
      isNew ? 0 : deps.countHeldOrders(coupon.id),
    );
    if ('belowSold' in outcome) {
      throw new AppError(
        'CONFLICT',
        `${outcome.belowSold} units of this coupon are already taken; totalStock cannot go below ${outcome.belowSold}.`,
      );
    }
    if ('needsAudit' in outcome) {
      throw new AppError(
        'CONFLICT',
        `This coupon has ${outcome.needsAudit} orders but its sale state in Redis is missing or partial; ` +
          'rebuild it from the orders with an audit (POST /jobs/audit, or make audit REPAIR=1).',
      );
    }
    return outcome.stockLeft;
  };

  /**
   * After MySQL refused what Redis already took: writes the sale state again from what MySQL now
   * holds, with the row locked again, so it cannot overwrite a change another request committed
   * meanwhile. If even that fails, the log says so; `POST …/preheat` rewrites it later.
   */
  const restore = async (id: string, created: boolean, log: Logger, err: unknown) => {
    let restored = false;
    try {
      if (created) restored = 'removed' in (await deps.sale.remove(id));
      else restored = (await deps.coupons.whileLocked(id, (current) => preheat(current))) !== undefined;
    } catch (restoreErr) {
      log.error({ err: restoreErr, couponId: id }, 'could not restore the sale state');
    }
    if (!restored) log.error({ err, couponId: id }, 'the sale state differs from MySQL; preheat the coupon');
  };

  return [
    implement(createCouponContract, async ({ req, body: input, log }) => {
      await requireAdmin(req.headers);
      // The row is inserted, the sale state written, then the row committed: a coupon is never
      // listed without its stock, and a failed preheat leaves nothing behind to retry around.
      let written: string | undefined;
      let remaining = 0;
      try {
        const coupon = await deps.coupons.create(newCouponOf(input), async (created) => {
          written = created.id;
          remaining = await preheat(created, true);
        });
        return { status: 201, body: view(coupon, remaining) };
      } catch (err) {
        if (written !== undefined) await restore(written, true, log, err);
        throw err;
      }
    }),
    implement(listCouponsContract, async ({ query: { limit, cursor } }) => {
      const page = await deps.coupons.list({ limit, cursor });
      // Issued in one tick, so auto-pipelining sends the GETs in one round trip.
      const remaining = await Promise.all(page.items.map((coupon) => deps.sale.stockLeft(coupon.id)));
      return {
        status: 200,
        body: { items: page.items.map((coupon, i) => view(coupon, remaining[i])), nextCursor: page.nextCursor },
      };
    }),
    implement(getCouponContract, async ({ params: { id } }) => {
      if (!isCouponId(id)) throw notFound();
      const [coupon, remaining] = await Promise.all([deps.coupons.get(id), deps.sale.stockLeft(id)]);
      if (coupon === undefined) throw notFound();
      return { status: 200, body: view(coupon, remaining) };
    }),
    implement(patchCouponContract, async ({ req, params: { id }, body, log }) => {
      await requireAdmin(req.headers);
      const patch = couponPatchOf(body);
      if (!isCouponId(id)) throw notFound();
      // Redis first, with the row locked: only the preheat script can tell atomically whether
      // the new total is below what is taken (grabs go on while we decide; a count read first
      // could be stale by the time MySQL is written). Its refusal rolls the MySQL change back;
      // a MySQL failure after it puts the previous sale state back.
      let touchedRedis = false;
      let remaining = 0;
      try {
        const updated = await deps.coupons.update(id, patch, async (next) => {
          parseWith(createCouponBodySchema, createBodyOf(next), 'body');
          touchedRedis = true; // from here on Redis may hold the new state
          remaining = await preheat(next);
        });
        if (updated === undefined) throw notFound();
        return { status: 200, body: view(updated, remaining) };
      } catch (err) {
        if (touchedRedis) await restore(id, false, log, err);
        throw err;
      }
    }),
    implement(deleteCouponContract, async ({ req, params: { id }, query: { force } }) => {
      await requireAdmin(req.headers);
      // The sale state goes first, inside the row lock: if MySQL then fails, the coupon merely
      // cannot be grabbed until the delete is retried. The other order could leave a deleted
      // coupon on sale with no way to reach it again (a second delete answers 404).
      // Never mid-sale, not even forced: deleting the sale state would lose accepted grabs on
      // their way to becoming orders.
      const deleted = await deps.coupons.softDelete(id, async (current) => {
        if (onSale(current)) {
          throw new AppError(
            'CONFLICT',
            'The coupon is on sale; deactivate it first (PATCH status inactive), then delete it once its grabs have become orders.',
          );
        }
        if (!force) {
          const live = await deps.countLiveOrders(id);
          if (live > 0) {
            throw new AppError(
              'CONFLICT',
              `The coupon has ${live} live orders; delete with ?force=true to delete it anyway.`,
            );
          }
        }
        const removed = await deps.sale.remove(id);
        if ('busy' in removed) {
          const { outbox, queued, deadLetters } = removed.busy;
          throw new AppError(
            'CONFLICT',
            `Accepted grabs of this coupon are still on their way to becoming orders (${queued} queued, ${outbox} in ` +
              `the outbox, ${deadLetters} dead-lettered); retry once they are orders (re-drive dead letters first).`,
            { retryAfterSeconds: 5 },
          );
        }
      });
      if (!deleted) throw notFound();
      return { status: 204 };
    }),
    implement(preheatCouponContract, async ({ req, params: { id } }) => {
      await requireAdmin(req.headers);
      // Under the row lock, so it cannot bring back the sale state of a coupon being deleted.
      // Never refills: the script only moves the stock by a change of the total.
      const remaining = await deps.coupons.whileLocked(id, preheat);
      if (remaining === undefined) throw notFound();
      return { status: 200, body: { id, remaining } };
    }),
  ];
}
