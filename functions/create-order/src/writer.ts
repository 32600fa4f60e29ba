import { AppError } from '@couponkill/errors';
import type { EventData, grabAccepted } from '@couponkill/events';
import type { OrderStore } from '@couponkill/orders';
import type { Sale } from '@couponkill/sale';
import { Batcher } from './batcher.js';

export type GrabAcceptedData = EventData<typeof grabAccepted>;

/** What an order copies from its coupon. */
export interface CouponTerms {
  readonly faceValueCents: number;
  readonly minSpendCents: number;
  readonly validDays: number;
}
export type TermsLookup = (couponId: string) => Promise<CouponTerms | undefined>;

export type OrderOutcome =
  { readonly status: 'SUCCEEDED'; readonly orderId: string } | { readonly status: 'FAILED'; readonly reason: string };

export interface OrderWriterOptions {
  /** Called with the size of every batch written (a metric). */
  readonly onBatch?: (size: number) => void;
  readonly orders: OrderStore;
  readonly sale: Sale;
  readonly terms: TermsLookup;
  readonly maxBatch: number;
  readonly maxWaitMs: number;
}

const DAY_MS = 24 * 3600 * 1000;

/**
 * Turns accepted grabs into orders. Concurrent deliveries are written as one batch; the answer
 * for each comes only after the commit. A grab whose order can never be written (its coupon is
 * gone, its sequence number is taken) is compensated: its unit and the user's slot go back to
 * the sale exactly once, and the grab becomes FAILED with the reason.
 */
export class OrderWriter {
  readonly #options: OrderWriterOptions;
  readonly #batcher: Batcher<GrabAcceptedData, OrderOutcome>;

  constructor(options: OrderWriterOptions) {
    this.#options = options;
    this.#batcher = new Batcher({
      maxItems: options.maxBatch,
      maxWaitMs: options.maxWaitMs,
      flush: (items) => this.#write(items),
    });
  }

  write(grab: GrabAcceptedData): Promise<OrderOutcome> {
    return this.#batcher.submit(grab);
  }

  async #write(grabs: readonly GrabAcceptedData[]): Promise<OrderOutcome[]> {
    const { orders, sale, terms } = this.#options;
    this.#options.onBatch?.(grabs.length);
    try {
      const couponIds = [...new Set(grabs.map((g) => g.couponId))];
      const termsOf = new Map(await Promise.all(couponIds.map(async (id) => [id, await terms(id)] as const)));
      const writable = grabs.filter((g) => termsOf.get(g.couponId) !== undefined);
      const written = await orders.insertBatch(
        writable.map((g) => {
          const t = termsOf.get(g.couponId) as CouponTerms;
          return {
            grabId: g.grabId,
            userId: g.userId,
            couponId: g.couponId,
            seq: g.seq,
            faceValueCents: t.faceValueCents,
            minSpendCents: t.minSpendCents,
            acceptedAt: new Date(g.acceptedAt),
            validUntil: new Date(g.acceptedAt + t.validDays * DAY_MS),
          };
        }),
      );
      return await Promise.all(
        grabs.map(async (g): Promise<OrderOutcome> => {
          const orderId = written.get(g.grabId);
          if (orderId !== undefined) {
            // The record outlives the order's validity by a day: cancel and expiry release through it.
            const validDays = termsOf.get(g.couponId)?.validDays ?? 0;
            await sale.succeed(g.grabId, orderId, (validDays + 1) * DAY_MS);
            return { status: 'SUCCEEDED', orderId };
          }
          const reason = termsOf.get(g.couponId) === undefined ? 'COUPON_GONE' : 'SEQ_TAKEN';
          await sale.release(g.grabId, g.userId, { from: 'QUEUED', to: 'FAILED', reason });
          return { status: 'FAILED', reason };
        }),
      );
    } catch (err) {
      // Nothing is lost: the delivery is answered 503 and the source sends it again.
      throw new AppError('UNAVAILABLE', 'Orders cannot be written right now; retry.', { cause: err });
    }
  }
}
