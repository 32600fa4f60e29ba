/**
 * Collects items submitted at about the same time and hands them to `flush` together: many
 * concurrent deliveries become one multi-row INSERT per table and one commit. Every submitter
 * gets its own result (or the batch's error) once the whole batch is committed.
 */
export interface BatcherOptions<I, R> {
  /** Flush once this many items wait… */
  readonly maxItems: number;
  /** …or this long after the first one arrived. */
  readonly maxWaitMs: number;
  /** Writes a batch; returns one result per item, in order. */
  readonly flush: (items: readonly I[]) => Promise<readonly R[]>;
}

interface Waiting<I, R> {
  readonly item: I;
  readonly resolve: (result: R) => void;
  readonly reject: (err: unknown) => void;
}

export class Batcher<I, R> {
  readonly #options: BatcherOptions<I, R>;
  #waiting: Array<Waiting<I, R>> = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(options: BatcherOptions<I, R>) {
    this.#options = options;
  }

  submit(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#waiting.push({ item, resolve, reject });
      if (this.#waiting.length >= this.#options.maxItems) this.#flushNow();
      else this.#timer ??= setTimeout(() => this.#flushNow(), this.#options.maxWaitMs);
    });
  }

  #flushNow(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#waiting;
    this.#waiting = [];
    if (batch.length === 0) return;
    this.#options.flush(batch.map((w) => w.item)).then(
      (results) => batch.forEach((w, i) => w.resolve(results[i] as R)),
      (err: unknown) => batch.forEach((w) => w.reject(err)),
    );
  }
}
