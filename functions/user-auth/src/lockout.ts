import { AppError } from '@couponkill/errors';
import { defineScripts, type RedisClient } from '@couponkill/redis';

export interface LockoutPolicy {
  readonly maxFailuresPerUser: number;
  readonly maxFailuresPerIp: number;
  readonly windowSeconds: number;
  readonly lockSeconds: number;
}

// Counts one failed login for a subject (a username or an address); when the count reaches the
// limit the lock key is set for lockSeconds. A script, so concurrent failures count exactly; two
// keys of one hash slot, so it runs unchanged on Redis Cluster.
const RECORD_FAILURE = {
  keys: 2,
  lua: `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], tonumber(ARGV[1])) end
if n >= tonumber(ARGV[3]) then
  redis.call('SET', KEYS[2], '1', 'EX', tonumber(ARGV[2]))
  redis.call('DEL', KEYS[1])
  return 1
end
return 0`,
};

/**
 * Slows down password guessing: after too many failures for one username (whether or not it
 * exists) or from one address, logins are refused with 429 LOGIN_LOCKED until the lock expires.
 */
export class Lockout {
  readonly #redis: RedisClient;
  readonly #policy: () => LockoutPolicy;
  readonly #scripts;

  constructor(redis: RedisClient, policy: () => LockoutPolicy) {
    this.#redis = redis;
    this.#policy = policy;
    this.#scripts = defineScripts(redis, { recordFailure: RECORD_FAILURE });
  }

  /** Throws LOGIN_LOCKED (with Retry-After) while the username or the address is locked. */
  async check(username: string, ip: string): Promise<void> {
    const [userTtl, ipTtl] = await Promise.all([
      this.#redis.pttl(lockKey('u', username)),
      this.#redis.pttl(lockKey('ip', ip)),
    ]);
    const remainingMs = Math.max(userTtl, ipTtl);
    if (remainingMs > 0) {
      throw new AppError('LOGIN_LOCKED', 'Too many failed logins; try again later.', {
        retryAfterSeconds: Math.ceil(remainingMs / 1000),
      });
    }
  }

  async recordFailure(username: string, ip: string): Promise<void> {
    const p = this.#policy();
    await Promise.all([
      this.#scripts.recordFailure(
        [failKey('u', username), lockKey('u', username)],
        [p.windowSeconds, p.lockSeconds, p.maxFailuresPerUser],
      ),
      this.#scripts.recordFailure(
        [failKey('ip', ip), lockKey('ip', ip)],
        [p.windowSeconds, p.lockSeconds, p.maxFailuresPerIp],
      ),
    ]);
  }

  async recordSuccess(username: string): Promise<void> {
    await this.#redis.del(failKey('u', username));
  }
}

// Both keys of a subject share one hash slot ({…}).
const failKey = (kind: string, subject: string) => `ck:{auth:${kind}:${subject}}:failures`;
const lockKey = (kind: string, subject: string) => `ck:{auth:${kind}:${subject}}:locked`;
