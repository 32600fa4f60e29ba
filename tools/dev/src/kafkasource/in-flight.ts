/**
 * At most `max` holders at once; the others wait for a slot in arrival order. Unbounded when
 * `max` is undefined (every acquire succeeds at once).
 */
export class InFlightLimit {
  #inFlight = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(readonly max: number | undefined) {
    if (max !== undefined && (!Number.isInteger(max) || max < 1)) throw new Error(`max must be ≥ 1, not ${max}`);
  }

  /** Slots held now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Callers waiting for a slot. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Resolves once the caller holds a slot; it must `release()` it exactly once. */
  async acquire(): Promise<void> {
    if (this.max === undefined || this.#inFlight < this.max) {
      this.#inFlight += 1;
      return;
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  /** Hands the slot to the longest waiting caller, or frees it. */
  release(): void {
    const next = this.#waiting.shift();
    if (next === undefined) this.#inFlight -= 1;
    else next();
  }
}
