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
 *
 * Only grabs the sale accepted become orders: an event whose grab record is missing or names
 * another user or sequence number (forged, or voided) is refused (UNKNOWN_GRAB), and a grab
 * already compensated (FAILED) keeps its answer — a late redelivery, a re-driven dead letter or
 * a replay never writes an order for a unit that went back to the sale. Should a compensation
 * win the race against the order just written, the order is cancelled at once.
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
      // Issued in one tick: auto-pipelining reads every record in one round trip.
      const records = await Promise.all(grabs.map((g) => sale.record(g.grabId)));
      const verdicts = grabs.map((g, i): OrderOutcome | undefined => {
        const record = records[i];
        if (record === undefined || record.userId !== g.userId || record.seq !== g.seq)
          return { status: 'FAILED', reason: 'UNKNOWN_GRAB' };
        if (record.status === 'FAILED') return { status: 'FAILED', reason: record.reason ?? 'COMPENSATED' };
        return undefined;
      });
      const candidates = grabs.filter((_, i) => verdicts[i] === undefined);
      const couponIds = [...new Set(candidates.map((g) => g.couponId))];
      const termsOf = new Map(await Promise.all(couponIds.map(async (id) => [id, await terms(id)] as const)));
      const writable = candidates.filter((g) => termsOf.get(g.couponId) !== undefined);
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
        grabs.map(async (g, i): Promise<OrderOutcome> => {
          const verdict = verdicts[i];
          if (verdict !== undefined) return verdict;
          const orderId = written.get(g.grabId);
          if (orderId !== undefined) {
            // The record outlives the order's validity by a day: cancel and expiry release through it.
            const validDays = termsOf.get(g.couponId)?.validDays ?? 0;
            const marked = await sale.succeed(g.grabId, g.userId, orderId, (validDays + 1) * DAY_MS);
            if (marked !== 'refused') return { status: 'SUCCEEDED', orderId };
            // Compensated between our read and the commit: its unit is back on sale, so this order
            // must not hold one.
            await orders.transition(g.userId, orderId, 'UNUSED', 'CANCELLED');
            return { status: 'FAILED', reason: (await sale.record(g.grabId))?.reason ?? 'COMPENSATED' };
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
