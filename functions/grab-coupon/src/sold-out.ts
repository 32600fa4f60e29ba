/**
 * Remembers, per process, coupons Redis just reported sold out, so the flood of grabs after the
 * last unit is answered without a Redis round trip. The mark expires quickly because stock can
 * come back (a cancelled order, a compensated grab, a raised total).
 */
export class SoldOutMarks {
  readonly #until = new Map<string, number>();
  readonly #ttlMs: number;

  constructor(ttlMs: number) {
    this.#ttlMs = ttlMs;
  }

  isSoldOut(couponId: string, now = Date.now()): boolean {
    const until = this.#until.get(couponId);
    if (until === undefined) return false;
    if (now < until) return true;
    this.#until.delete(couponId);
    return false;
  }

  mark(couponId: string, now = Date.now()): void {
    if (this.#ttlMs > 0) this.#until.set(couponId, now + this.#ttlMs);
  }
}
