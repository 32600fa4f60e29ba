import type { FunctionProcess } from './functions.js';

/**
 * The order worker's replicas: started and stopped by the lag scaler, and taken in turn by the
 * KafkaSource for each delivery (what the Knative activator does across a revision's pods).
 */
export class WorkerPool {
  readonly #start: () => Promise<FunctionProcess>;
  readonly #workers: FunctionProcess[] = [];
  #next = 0;

  constructor(start: () => Promise<FunctionProcess>, running: readonly FunctionProcess[] = []) {
    this.#start = start;
    this.#workers.push(...running);
  }

  get size(): number {
    return this.#workers.length;
  }

  get workers(): readonly FunctionProcess[] {
    return this.#workers;
  }

  async scaleTo(replicas: number): Promise<void> {
    while (this.#workers.length < replicas) this.#workers.push(await this.#start());
    while (this.#workers.length > replicas) await this.#workers.pop()?.process.stop();
  }

  /** The next worker's URL, or undefined while none runs (the delivery is retried later). */
  nextUrl(): string | undefined {
    const alive = this.#workers.filter((w) => w.process.alive());
    const worker = alive[this.#next++ % Math.max(1, alive.length)];
    return worker === undefined ? undefined : `http://127.0.0.1:${worker.port}/`;
  }
}
