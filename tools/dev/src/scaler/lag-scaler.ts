import type { Logger } from '@couponkill/logging';
import { decideReplicas, type ScalerPolicy, type ScalerState } from './keda-formula.js';

export interface LagScalerOptions {
  readonly policy: ScalerPolicy;
  /** Total consumer lag of the scaled consumer group. */
  readonly lag: () => Promise<number>;
  /** Makes `n` replicas run; resolves when they are up (or gone). */
  readonly scaleTo: (replicas: number) => Promise<void>;
  readonly initialReplicas: number;
  readonly pollingMs: number;
  readonly logger: Logger;
  /** A minimum raised from outside (a sale's min-scale), read on every tick; the policy's when absent. */
  readonly floor?: () => number | undefined;
  /** Also told each decision that changes the replica count, as one readable line. */
  readonly onScale?: (line: string) => void;
}

/** KEDA on one machine: polls the lag, applies the Kafka scaler formula, logs every change. */
export class LagScaler {
  readonly #o: LagScalerOptions;
  #state: ScalerState;
  #timer: NodeJS.Timeout | undefined;
  #busy = false;

  constructor(options: LagScalerOptions) {
    this.#o = options;
    this.#state = { replicas: options.initialReplicas, lastActiveAt: 0 };
  }

  get replicas(): number {
    return this.#state.replicas;
  }

  start(): void {
    this.#timer = setInterval(() => void this.tick(), this.#o.pollingMs);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async tick(now = Date.now()): Promise<void> {
    if (this.#busy) return; // a scale-up still starting processes
    this.#busy = true;
    try {
      const lag = await this.#o.lag();
      const floor = this.#o.floor?.();
      const policy =
        floor === undefined
          ? this.#o.policy
          : { ...this.#o.policy, minReplicas: Math.max(this.#o.policy.minReplicas, floor) };
      const decision = decideReplicas(policy, this.#state, lag, now);
      if (decision.replicas !== this.#state.replicas) {
        this.#o.logger.info(
          { lag, from: this.#state.replicas, to: decision.replicas },
          `lag scaler: ${decision.reason}`,
        );
        this.#o.onScale?.(
          `lag scaler: ${this.#state.replicas} → ${decision.replicas} order workers (${decision.reason})`,
        );
        await this.#o.scaleTo(decision.replicas);
      }
      this.#state = { replicas: decision.replicas, lastActiveAt: decision.lastActiveAt };
    } catch (err) {
      this.#o.logger.warn({ err }, 'lag scaler: could not read the lag or scale; trying again');
    } finally {
      this.#busy = false;
    }
  }
}
