import { AppError } from '@couponkill/errors';
import type { Logger } from '@couponkill/logging';
import type { Order, OrderStore } from '@couponkill/orders';
import type { Sale } from '@couponkill/sale';
import { inPool } from './in-pool.js';
import { blockerOf, conflictOf, type OrderAction } from './rules.js';

/** The reasons written on the grab record when its unit goes back to the sale. */
export const RELEASE_REASONS = { cancelled: 'CANCELLED_BY_USER', expired: 'EXPIRED' } as const;

/** Structural shapes of the prom-client counters the lifecycle updates. */
export interface LifecycleStats {
  readonly expired: { inc(): void };
  /** Units not given back in Redis (grab record gone, or Redis failed); an audit does it. */
  readonly releaseMissed: { inc(): void };
}

export interface ExpiryRun {
  /** Orders this run moved from UNUSED to EXPIRED. */
  readonly expired: number;
  /** Of those, how many gave their unit and the user's slot back in Redis. */
  readonly released: number;
  /** The run hit its limit: more past-due orders may be waiting for the next one. */
  readonly more: boolean;
}

/**
 * The moves of an order after it was written: cancel, use, expire. MySQL decides each move with
 * one conditional UPDATE (`transition`), and only the caller whose UPDATE changed the row goes on
 * to give the unit back to the sale, so concurrent cancels, uses and expiries release it once.
 * (`Sale.release` is itself exactly-once per grab, a second guard on the same rule.)
 *
 * Why MySQL first, Redis second: if the process dies between the two steps, the order is final
 * in MySQL and its unit is still counted as taken in Redis. That undersells by one unit (and
 * holds one slot of the user's limit) until the audit job, which recomputes stock and
 * holders from the orders in MySQL, corrects it. Redis first could oversell instead: a unit back
 * in Redis can be grabbed again at once, while the order it came from might still be used.
 */
export class OrderLifecycle {
  readonly #orders: OrderStore;
  readonly #sale: Sale;
  readonly #stats: LifecycleStats;

  constructor(orders: OrderStore, sale: Sale, stats: LifecycleStats) {
    this.#orders = orders;
    this.#sale = sale;
    this.#stats = stats;
  }

  /**
   * UNUSED → CANCELLED, then the unit and the user's slot go back to the sale. Any other status
   * is a 409, also for an order already cancelled: a repeated or concurrent cancel did not cancel
   * anything, and only the one that did gets 200.
   */
  async cancel(order: Order, log: Logger, now = new Date()): Promise<Order> {
    await this.#refuseUnlessOpen(order, 'cancel', log, now);
    if (!(await this.#orders.transition(order.userId, order.id, 'UNUSED', 'CANCELLED'))) {
      throw await this.#lost(order, 'cancel', now);
    }
    await this.#releaseAnyway(order, RELEASE_REASONS.cancelled, log);
    return { ...order, status: 'CANCELLED' };
  }

  /** UNUSED → USED. A past-due order is expired on the way and refused. */
  async use(order: Order, log: Logger, now = new Date()): Promise<Order> {
    await this.#refuseUnlessOpen(order, 'use', log, now);
    if (!(await this.#orders.transition(order.userId, order.id, 'UNUSED', 'USED'))) {
      throw await this.#lost(order, 'use', now);
    }
    return { ...order, status: 'USED' };
  }

  /**
   * Expires up to `limit` past-due UNUSED orders over every shard and gives their units back.
   * Stops at the first failure (Redis or MySQL down) and throws it; the next run goes on.
   */
  async expireDue(limit: number, concurrency: number, log: Logger, now = new Date()): Promise<ExpiryRun> {
    const due = await this.#orders.findExpired(limit, now);
    let expired = 0;
    let released = 0;
    await inPool(due, concurrency, async (order) => {
      const outcome = await this.#expire(order, log);
      if (outcome.expired) expired++;
      if (outcome.released) released++;
    });
    return { expired, released, more: due.length === limit };
  }

  /** Throws the 409 for an order that cannot take `action`; a past-due UNUSED one is expired first. */
  async #refuseUnlessOpen(order: Order, action: OrderAction, log: Logger, now: Date): Promise<void> {
    const blocker = blockerOf(order, now);
    if (blocker === undefined) return;
    if (blocker === 'PAST_DUE') await this.#expire(order, log, true);
    throw conflictOf(action, blocker, order.validUntil);
  }

  /** The 409 for a caller whose UPDATE lost to a concurrent move, naming the state that won. */
  async #lost(order: Order, action: OrderAction, now: Date): Promise<AppError> {
    const current = await this.#orders.get(order.userId, order.id);
    const blocker = current === undefined ? undefined : blockerOf(current, now);
    return blocker === undefined
      ? new AppError('CONFLICT', 'This order changed meanwhile; read it again.')
      : conflictOf(action, blocker, order.validUntil);
  }

  /**
   * UNUSED → EXPIRED; the caller whose UPDATE won gives the unit back. A user's request
   * (`tolerant`) is answered even when Redis fails; the job stops instead.
   */
  async #expire(order: Order, log: Logger, tolerant = false): Promise<{ expired: boolean; released: boolean }> {
    if (!(await this.#orders.transition(order.userId, order.id, 'UNUSED', 'EXPIRED'))) {
      return { expired: false, released: false };
    }
    this.#stats.expired.inc();
    const released = tolerant
      ? await this.#releaseAnyway(order, RELEASE_REASONS.expired, log)
      : await this.#release(order, RELEASE_REASONS.expired, log);
    return { expired: true, released };
  }

  /**
   * `#release` for a user's request whose move is already committed: the move is done (MySQL is
   * the truth) and is answered as such, since a 5xx would make the client retry into a 409.
   * A Redis failure is logged and the unit comes back with the audit job.
   */
  async #releaseAnyway(order: Order, reason: string, log: Logger): Promise<boolean> {
    try {
      return await this.#release(order, reason, log);
    } catch (err) {
      this.#stats.releaseMissed.inc();
      log.error({ err, orderId: order.id, grabId: order.grabId, reason }, 'the unit could not be given back');
      return false;
    }
  }

  /**
   * Gives the unit and the user's slot back: the grab record goes SUCCEEDED → CANCELLED (the only
   * final status a grab has besides FAILED; the reason tells cancel from expiry). False when the
   * record is gone (it lives `recordTtlMs`, a day by default, shorter than most validity periods)
   * or is not SUCCEEDED with this order: then Redis keeps the unit until an audit.
   */
  async #release(order: Order, reason: string, log: Logger): Promise<boolean> {
    const released = await this.#sale.release(order.grabId, order.userId, {
      from: 'SUCCEEDED',
      to: 'CANCELLED',
      reason,
      orderId: order.id,
    });
    if (!released) {
      this.#stats.releaseMissed.inc();
      log.warn(
        { orderId: order.id, grabId: order.grabId, reason },
        'the grab record is gone or not this order’s; an audit gives the unit back',
      );
    }
    return released;
  }
}
