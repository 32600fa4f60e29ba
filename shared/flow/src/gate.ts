import type { Metrics } from '@couponkill/metrics';
import { defineScripts, type RedisClient, TAKE_TOKEN } from '@couponkill/redis';
import type { GrabFlow, GrabOutcome } from '@couponkill/sale';
import type { ActiveFlowRules } from './active.js';

/** Refusal marks kept in memory by default: enough for a flood's distinct users and addresses. */
const DEFAULT_MAX_MARKS = 100_000;

/** Which rule refused a grab. */
export type FlowDimension = 'global' | 'coupon' | 'user' | 'ip' | 'concurrency';

export interface FlowRefusal {
  readonly ok: false;
  readonly refusal: 'RATE_LIMITED';
  readonly dimension: FlowDimension;
  /** When a retry can succeed at the earliest (what `Retry-After` is computed from). */
  readonly retryAfterMs: number;
}

/** A grab's outcome once flow control has had its say. */
export type FlowOutcome = Exclude<GrabOutcome, { readonly refusal: 'RATE_LIMITED' }> | FlowRefusal;

/** The global bucket: not hash-tagged, so on Redis Cluster it lives in a slot of its own. */
export const GLOBAL_BUCKET_KEY = 'ck:flow:global';

export interface FlowGateOptions {
  readonly rules: { readonly current: ActiveFlowRules };
  readonly redis: RedisClient;
  readonly metrics: Metrics;
  /** Another key for the global bucket (tests sharing one Redis use their own). */
  readonly globalKey?: string;
  /** A monotonic clock in ms; `performance.now` unless a test moves time itself. */
  readonly now?: () => number;
  /** The most refusal marks kept in memory; past it they are dropped (Redis still decides). */
  readonly maxMarks?: number;
}

const GLOBAL_MARK = 'g';

/**
 * Flow control of one instance's grab path.
 *
 * - A cap on grabs in flight (`maxConcurrentGrabsPerInstance`), checked before anything else.
 * - The coupon's buckets (per coupon, per user on it, per address on it) are decided by the grab
 *   script itself, in the grab's one round trip (`GrabFlow`).
 * - The global bucket cannot share the coupon's hash slot, so it costs one more Redis call,
 *   made before the grab (a grab refused globally never reaches stock) and only when a global
 *   rule is set.
 * - The local fast path: when Redis answers that a bucket is empty for `w` ms, nobody can take a
 *   token from it before then (buckets only refill with time), so this instance refuses every
 *   grab that needs that bucket without asking Redis until `w` has passed, counted from before
 *   the request was sent. Such a refusal is exactly one Redis would have given; a flood from
 *   one user, address or coupon costs about one Redis call per token interval, not per request.
 *   The marks are dropped when the rules change.
 */
export class FlowGate {
  readonly #rules: { readonly current: ActiveFlowRules };
  readonly #takeGlobal;
  readonly #globalKey: string;
  readonly #now: () => number;
  readonly #maxMarks: number;
  readonly #refused;
  readonly #inFlightGauge;
  /** Bucket → monotonic time before which it has no token. */
  readonly #marks = new Map<string, number>();
  #marksGeneration = -1;
  #inFlight = 0;

  constructor(options: FlowGateOptions) {
    this.#rules = options.rules;
    this.#takeGlobal = defineScripts(options.redis, { flowTake: TAKE_TOKEN }).flowTake;
    this.#globalKey = options.globalKey ?? GLOBAL_BUCKET_KEY;
    this.#now = options.now ?? (() => performance.now());
    this.#maxMarks = options.maxMarks ?? DEFAULT_MAX_MARKS;
    this.#refused = options.metrics.counter(
      'couponkill_flow_rejected_total',
      'Grabs refused by flow control (429), by the rule that refused them and where it was decided.',
      ['dimension', 'decided'],
    );
    this.#inFlightGauge = options.metrics.gauge(
      'couponkill_flow_grabs_in_flight',
      'Grabs this instance is handling now.',
    );
  }

  /** Counts a grab in; false (and counted as refused) when the instance is at its cap. */
  enter(): boolean {
    const cap = this.#rules.current.maxConcurrentGrabs;
    if (cap !== undefined && this.#inFlight >= cap) {
      this.#refused.inc({ dimension: 'concurrency', decided: 'local' });
      return false;
    }
    this.#inFlightGauge.set(++this.#inFlight);
    return true;
  }

  /** Counts a grab out (after `enter` returned true). */
  leave(): void {
    this.#inFlightGauge.set(--this.#inFlight);
  }

  /**
   * Runs one grab under the rules in force: local marks, then the global bucket when there is a
   * global rule, then `grab` with the coupon's buckets (undefined when none applies, so a grab
   * without rules does no bucket work at all).
   */
  async grab(
    who: { readonly couponId: string; readonly userId: string; readonly ip: string },
    grab: (flow: GrabFlow | undefined) => Promise<GrabOutcome>,
  ): Promise<FlowOutcome> {
    const rules = this.#rules.current;
    if (rules.generation !== this.#marksGeneration) {
      this.#marks.clear();
      this.#marksGeneration = rules.generation;
    }
    const buckets = rules.bucketsFor(who.couponId);
    // No rule applies to this grab: nothing to consult, take or mark (and without buckets the
    // script refuses nothing for rate).
    if (
      rules.global === undefined &&
      buckets.coupon === undefined &&
      buckets.user === undefined &&
      buckets.ip === undefined
    ) {
      const outcome = await grab(undefined);
      if (outcome.ok || outcome.refusal !== 'RATE_LIMITED') return outcome;
      return this.#refuse('coupon', outcome.waitMs.coupon, 'redis');
    }
    const marks = {
      coupon: buckets.coupon && `c ${who.couponId}`,
      user: buckets.user && `u ${who.couponId} ${who.userId}`,
      ip: buckets.ip && `i ${who.couponId} ${who.ip}`,
    };

    const now = this.#now();
    let local: [FlowDimension, number] | undefined;
    const consult = (dimension: FlowDimension, mark: string | undefined) => {
      const until = mark === undefined ? undefined : this.#marks.get(mark);
      if (until === undefined || mark === undefined) return;
      if (until <= now) this.#marks.delete(mark);
      else if (local === undefined || until - now > local[1]) local = [dimension, until - now];
    };
    if (rules.global !== undefined) consult('global', GLOBAL_MARK);
    consult('coupon', marks.coupon);
    consult('user', marks.user);
    consult('ip', marks.ip);
    if (local !== undefined) return this.#refuse(local[0], local[1], 'local');

    if (rules.global !== undefined) {
      const sentAt = this.#now();
      const wait = Number(await this.#takeGlobal([this.#globalKey], [rules.global.ratePerSecond, rules.global.burst]));
      if (wait > 0) {
        this.#mark(rules, GLOBAL_MARK, sentAt + wait);
        return this.#refuse('global', wait, 'redis');
      }
    }

    const flow =
      buckets.coupon !== undefined || buckets.user !== undefined || buckets.ip !== undefined
        ? { clientIp: who.ip, ...buckets }
        : undefined;
    const sentAt = this.#now();
    const outcome = await grab(flow);
    if (outcome.ok || outcome.refusal !== 'RATE_LIMITED') return outcome;

    let dimension: FlowDimension = 'coupon';
    let longest = 0;
    for (const d of ['coupon', 'user', 'ip'] as const) {
      const wait = outcome.waitMs[d];
      const mark = marks[d];
      if (wait <= 0 || mark === undefined) continue;
      this.#mark(rules, mark, sentAt + wait);
      if (wait > longest) [dimension, longest] = [d, wait];
    }
    return this.#refuse(dimension, longest, 'redis');
  }

  #mark(rules: ActiveFlowRules, mark: string, until: number): void {
    if (rules.generation !== this.#marksGeneration) return; // decided under rules replaced since
    if (this.#marks.size >= this.#maxMarks) {
      const now = this.#now();
      for (const [key, at] of this.#marks) if (at <= now) this.#marks.delete(key);
      if (this.#marks.size >= this.#maxMarks) this.#marks.clear();
    }
    this.#marks.set(mark, until);
  }

  #refuse(dimension: FlowDimension, waitMs: number, decided: 'local' | 'redis'): FlowRefusal {
    this.#refused.inc({ dimension, decided });
    return { ok: false, refusal: 'RATE_LIMITED', dimension, retryAfterMs: Math.max(1, Math.ceil(waitMs)) };
  }
}
