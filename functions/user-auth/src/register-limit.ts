import { AppError } from '@couponkill/errors';
import { defineScripts, type RedisClient, TAKE_TOKEN, type TokenBucket } from '@couponkill/redis';

export interface RegisterLimits {
  /** Registrations from one client address. */
  readonly perIp: TokenBucket;
  /** Registrations of every address together (all instances share the bucket in Redis). */
  readonly global: TokenBucket;
}

/**
 * Rate limits on registering: each attempt takes a token from the address's bucket, then from the
 * global one, before the password is hashed. Without it, the 409 for a taken name lets anyone
 * enumerate usernames as fast as they can send, and every attempt costs a full scrypt.
 */
export class RegisterLimiter {
  readonly #take;
  readonly #limits: () => RegisterLimits;

  constructor(redis: RedisClient, limits: () => RegisterLimits) {
    this.#take = defineScripts(redis, { registerTake: TAKE_TOKEN }).registerTake;
    this.#limits = limits;
  }

  /** Throws RATE_LIMITED (429 with Retry-After) when the address or everyone is over the rate. */
  async take(ip: string): Promise<void> {
    const limits = this.#limits();
    await this.#bucket(`ck:{auth:register:ip:${ip}}`, limits.perIp);
    await this.#bucket('ck:{auth:register}:global', limits.global);
  }

  async #bucket(key: string, bucket: TokenBucket): Promise<void> {
    const waitMs = Number(await this.#take([key], [bucket.ratePerSecond, bucket.burst]));
    if (waitMs > 0) {
      throw new AppError('RATE_LIMITED', 'Too many registrations; try again later.', {
        retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)),
      });
    }
  }
}
