/**
 * What this process knows about the Redis server's clock: the offset to its own monotonic clock
 * (`performance.now()`, so a jump of this machine's wall clock changes nothing), measured from
 * the replies of scripts that return Redis `TIME` (every accepted grab does), with an error
 * bound of half the round trip. The grab script refuses to run past a deadline written in Redis
 * time, so once that deadline (plus the error) has passed here, a grab that never answered is
 * known to have taken nothing.
 */
export class RedisClock {
  #offsetMs: number | undefined;
  #errorMs = Number.POSITIVE_INFINITY;
  #measuredAt = 0;

  /** Redis clocks drift from ours by far less than this (NTP keeps both within milliseconds). */
  static readonly DRIFT_PER_SECOND_MS = 1;

  /**
   * A Redis time `redisMs` read by a command sent at `sentAt` and answered at `answeredAt`
   * (both `performance.now()` here). Keeps the tightest recent sample.
   */
  observe(redisMs: number, sentAt: number, answeredAt: number): void {
    const error = Math.max(1, (answeredAt - sentAt) / 2);
    if (error <= this.errorMs(answeredAt)) {
      this.#offsetMs = redisMs - (sentAt + answeredAt) / 2;
      this.#errorMs = error;
      this.#measuredAt = answeredAt;
    }
  }

  /** The error bound now: the sample's, grown with its age. */
  errorMs(now = performance.now()): number {
    if (this.#offsetMs === undefined) return Number.POSITIVE_INFINITY;
    return this.#errorMs + ((now - this.#measuredAt) / 1000) * RedisClock.DRIFT_PER_SECOND_MS;
  }

  /** Redis time for a local (monotonic) time, or undefined before the first sample. */
  toRedis(localMs: number): number | undefined {
    return this.#offsetMs === undefined ? undefined : Math.round(localMs + this.#offsetMs);
  }
}
