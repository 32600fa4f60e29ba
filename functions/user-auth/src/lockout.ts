import { AppError } from '@couponkill/errors';
import { defineScripts, type RedisClient } from '@couponkill/redis';

export interface LockoutPolicy {
  readonly maxFailuresPerUser: number;
  readonly maxFailuresPerIp: number;
  readonly windowSeconds: number;
  readonly lockSeconds: number;
}

/**
 * Reserves one login attempt of a subject (a username or an address) before its password is
 * checked: refused while the subject is locked; otherwise the attempt counter goes up at once,
 * and the attempt past the limit sets the lock instead. Counting before the (slow) password
 * check is what stops parallel guesses: each of them holds its own count, so no more than the
 * limit are ever checked in a window. A failed attempt keeps its count; a successful one gives
 * it back. Two keys of one hash slot, so it runs unchanged on Redis Cluster.
 * KEYS: attempts, lock   ARGV: windowSeconds, lockSeconds, limit
 * Returns 0 when reserved, otherwise the ms the subject stays locked.
 */
const RESERVE = {
  keys: 2,
  lua: `
local attempts_key, lock_key = KEYS[1], KEYS[2]
local window_seconds, lock_seconds, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local locked = redis.call('PTTL', lock_key)
if locked > 0 then return locked end
local n = redis.call('INCR', attempts_key)
if n == 1 then redis.call('EXPIRE', attempts_key, window_seconds) end
if n > limit then
  redis.call('SET', lock_key, '1', 'EX', lock_seconds)
  redis.call('DEL', attempts_key)
  return lock_seconds * 1000
end
return 0`,
};

/** Gives one reserved attempt back (a login that succeeded), never below zero. KEYS: attempts */
const RELEASE = {
  keys: 1,
  lua: `
local attempts_key = KEYS[1]
local n = tonumber(redis.call('GET', attempts_key) or '0')
if n > 1 then redis.call('DECR', attempts_key) elseif n == 1 then redis.call('DEL', attempts_key) end
return 0`,
};

/**
 * Slows down password guessing: after too many failed attempts for one username (whether or not
 * it exists) or from one address, logins are refused with 429 LOGIN_LOCKED until the lock expires.
 */
export class Lockout {
  readonly #redis: RedisClient;
  readonly #policy: () => LockoutPolicy;
  readonly #scripts;

  constructor(redis: RedisClient, policy: () => LockoutPolicy) {
    this.#redis = redis;
    this.#policy = policy;
    this.#scripts = defineScripts(redis, { reserve: RESERVE, release: RELEASE });
  }

  /**
   * Reserves an attempt for the address, then for the username; throws LOGIN_LOCKED (with
   * Retry-After) when either is locked or out of attempts. A locked address never touches the
   * username's count, so it cannot be used to lock other people's names any faster.
   */
  async reserve(username: string, ip: string): Promise<void> {
    const p = this.#policy();
    const ipLocked = await this.#take('ip', ip, p.maxFailuresPerIp, p);
    if (ipLocked > 0) throw locked(ipLocked);
    const userLocked = await this.#take('u', username, p.maxFailuresPerUser, p);
    if (userLocked > 0) {
      await this.#scripts.release([attemptsKey('ip', ip)], []);
      throw locked(userLocked);
    }
  }

  /** A login succeeded: the username's failures are forgiven and the address's attempt given back. */
  async succeeded(username: string, ip: string): Promise<void> {
    await Promise.all([
      this.#redis.del(attemptsKey('u', username)),
      this.#scripts.release([attemptsKey('ip', ip)], []),
    ]);
  }

  /**
   * The password was never judged (a dependency failed first): both attempts go back, nothing is
   * forgiven. A MySQL stall must not lock out everyone who tried to log in during it.
   */
  async undecided(username: string, ip: string): Promise<void> {
    await Promise.all([
      this.#scripts.release([attemptsKey('u', username)], []),
      this.#scripts.release([attemptsKey('ip', ip)], []),
    ]);
  }

  async #take(kind: string, subject: string, limit: number, p: LockoutPolicy): Promise<number> {
    return Number(
      await this.#scripts.reserve(
        [attemptsKey(kind, subject), lockKey(kind, subject)],
        [p.windowSeconds, p.lockSeconds, limit],
      ),
    );
  }
}

function locked(remainingMs: number): AppError {
  return new AppError('LOGIN_LOCKED', 'Too many failed logins; try again later.', {
    retryAfterSeconds: Math.max(1, Math.ceil(remainingMs / 1000)),
  });
}

// Both keys of a subject share one hash slot ({…}).
const attemptsKey = (kind: string, subject: string) => `ck:{auth:${kind}:${subject}}:failures`;
const lockKey = (kind: string, subject: string) => `ck:{auth:${kind}:${subject}}:locked`;
