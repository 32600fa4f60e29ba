import type { GrabRecord, GrabStatus, Sale } from '@couponkill/sale';
import { isGrabId } from './view.js';

/** Reads grab records from the sale state in Redis; this function never writes them. */
export class GrabReader {
  readonly #sale: Sale;

  constructor(sale: Sale) {
    this.#sale = sale;
  }

  /** The whole record (one HGETALL); undefined for a malformed id or a grab Redis does not hold. */
  async record(grabId: string): Promise<GrabRecord | undefined> {
    return isGrabId(grabId) ? this.#sale.record(grabId) : undefined;
  }

  /**
   * Only the status (one HGET of one field): what an open stream polls, so each tick costs Redis
   * the least; the whole record is read only when the status moved. Undefined once it is gone.
   */
  async status(grabId: string): Promise<GrabStatus | undefined> {
    return this.#sale.status(grabId);
  }
}
