import type { LuaScript } from './scripts.js';

/** A token bucket: `burst` tokens at most, refilled at `ratePerSecond`. */
export interface TokenBucket {
  readonly ratePerSecond: number;
  readonly burst: number;
}

/**
 * Stored arrival times are written with three decimals (microseconds), so a token that is due
 * "now" may compute a wait of a fraction of a microsecond: below this it counts as there.
 */
const EPSILON_MS = 0.001;

/**
 * Token buckets as GCRA (the generic cell rate algorithm): a bucket is one number in Redis, its
 * "theoretical arrival time" `tat` in epoch ms (a string key with a TTL). A bucket of `burst`
 * tokens refilling at `rate`/s has a token at `now` exactly when
 * `max(tat, now) - now <= (burst - 1) * 1000 / rate`; taking it moves `tat` one interval on.
 * Equivalent to a bucket holding tokens and a refill timestamp, with one key, one GET and (on
 * success) one SET with PX, and the key expires by itself once the bucket is full again.
 *
 * The functions are pasted into scripts that need buckets (the grab script checks several
 * and takes from all of them only when every one has a token).
 *   bucket_wait(key, now, rate, burst) → wait_ms (0 = a token is there), tat
 *   bucket_take(key, now, rate, tat)   → takes that token
 */
export const TOKEN_BUCKET_LUA = `
local function bucket_wait(key, now, rate, burst)
  local tat = tonumber(redis.call('GET', key) or '0')
  if tat < now then tat = now end
  local wait = tat - now - (burst - 1) * 1000 / rate
  if wait > ${EPSILON_MS} then return wait, tat end
  return 0, tat
end
local function bucket_take(key, now, rate, tat)
  local next_tat = tat + 1000 / rate
  redis.call('SET', key, string.format('%.3f', next_tat), 'PX', math.ceil(next_tat - now))
end`;

/** Server time in epoch ms with microseconds (the fractional part), for bucket arithmetic. */
export const PRECISE_NOW_LUA = `local t = redis.call('TIME'); local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000`;

/**
 * Takes one token of a single bucket by the Redis clock.
 * KEYS: the bucket   ARGV: rate per second, burst
 * Returns 0 when it took a token, otherwise the ms until the next one (at least 1).
 */
export const TAKE_TOKEN: LuaScript = {
  keys: 1,
  lua: `
${TOKEN_BUCKET_LUA}
${PRECISE_NOW_LUA}
local bucket_key = KEYS[1]
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local wait, tat = bucket_wait(bucket_key, now, rate, burst)
if wait > 0 then return math.ceil(wait) end
bucket_take(bucket_key, now, rate, tat)
return 0`,
};

/**
 * The same decision in TypeScript: the reference the Lua is tested against, on the same times.
 * `tat` undefined = a bucket never used (full).
 */
export function bucketDecision(
  tat: number | undefined,
  nowMs: number,
  bucket: TokenBucket,
): { readonly waitMs: number; readonly tat: number } {
  // The same operations in the same order as the Lua, so both round alike.
  const base = Math.max(tat ?? 0, nowMs);
  const wait = base - nowMs - ((bucket.burst - 1) * 1000) / bucket.ratePerSecond;
  if (wait > EPSILON_MS) return { waitMs: wait, tat: tat ?? 0 };
  return { waitMs: 0, tat: Number((base + 1000 / bucket.ratePerSecond).toFixed(3)) };
}
