import { TOKEN_BUCKET_LUA } from '@couponkill/redis';

/**
 * The Lua scripts of the sale. Time comes from Redis `TIME`, never from a pod's clock.
 * KEYS always belong to one coupon (one hash slot).
 */

/** Shared prelude: the server clock in epoch milliseconds. */
const NOW = `local t = redis.call('TIME'); local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * The grab: checks and takes in one atomic step.
 * KEYS: meta, stock, holders, seqs, outbox, grab record,
 *       flow buckets of the coupon, of this user on it, of this client address on it
 * ARGV: userId, grabId, record TTL ms, outbox max length (approximate trim), traceparent ('' = none),
 *       then rate per second and burst of each of the three buckets (rate 0 = no rule)
 * Returns { outcome, a, b, c } — OK: seq, acceptedAt, stockLeft; NOT_STARTED: ms until start;
 * RATE_LIMITED: ms until the coupon's, the user's, the address's bucket has a token (0 = has one).
 *
 * Flow control sits after the checks that write nothing (unknown, inactive, outside the window)
 * and before the per-user limit and the stock: a rate-limited grab takes nothing and writes
 * nothing, and tokens are taken from every bucket only when all of them have one.
 */
export const GRAB = {
  keys: 9,
  lua: `
${TOKEN_BUCKET_LUA}
${NOW}
local meta = redis.call('HMGET', KEYS[1], 'status', 'limit', 'start_ms', 'end_ms')
if not meta[1] then return {'NOT_FOUND', 0, 0, 0} end
if meta[1] ~= 'active' then return {'INACTIVE', 0, 0, 0} end
local start_ms, end_ms = tonumber(meta[3]), tonumber(meta[4])
if start_ms > 0 and now < start_ms then return {'NOT_STARTED', start_ms - now, 0, 0} end
if end_ms > 0 and now >= end_ms then return {'ENDED', 0, 0, 0} end
if ARGV[6] ~= '0' or ARGV[8] ~= '0' or ARGV[10] ~= '0' then
  local fnow = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
  local waits, tats, limited = {0, 0, 0}, {}, false
  for i = 1, 3 do
    local rate = tonumber(ARGV[4 + i * 2])
    if rate > 0 then
      local wait, tat = bucket_wait(KEYS[6 + i], fnow, rate, tonumber(ARGV[5 + i * 2]))
      if wait > 0 then
        waits[i] = math.ceil(wait)
        limited = true
      end
      tats[i] = tat
    end
  end
  if limited then return {'RATE_LIMITED', waits[1], waits[2], waits[3]} end
  for i = 1, 3 do
    if tats[i] then bucket_take(KEYS[6 + i], fnow, tonumber(ARGV[4 + i * 2]), tats[i]) end
  end
end
local held = tonumber(redis.call('HGET', KEYS[3], ARGV[1]) or '0')
if held >= tonumber(meta[2]) then return {'LIMIT_REACHED', 0, 0, 0} end
local stock = tonumber(redis.call('GET', KEYS[2]) or '0')
if stock <= 0 then return {'SOLD_OUT', 0, 0, 0} end
redis.call('DECR', KEYS[2])
redis.call('HINCRBY', KEYS[3], ARGV[1], 1)
local seq = redis.call('HINCRBY', KEYS[4], ARGV[1], 1)
if ARGV[5] ~= '' then
  redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[4], '*', 'grabId', ARGV[2], 'userId', ARGV[1], 'seq', seq, 'acceptedAt', now, 'traceparent', ARGV[5])
else
  redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[4], '*', 'grabId', ARGV[2], 'userId', ARGV[1], 'seq', seq, 'acceptedAt', now)
end
redis.call('HSET', KEYS[6], 'userId', ARGV[1], 'status', 'QUEUED', 'seq', seq, 'acceptedAt', now)
redis.call('PEXPIRE', KEYS[6], ARGV[3])
return {'OK', seq, now, stock - 1}`,
};

/**
 * Gives a grab's unit of stock and the user's slot back, exactly once: only a grab still QUEUED
 * (no order written) or SUCCEEDED with the given order (a cancelled order) is released.
 * KEYS: stock, holders, grab record   ARGV: userId, expected status, new status, reason, orderId
 * Returns 1 when it released, 0 when it had already happened (or never applied).
 */
export const RELEASE = {
  keys: 3,
  lua: `
local record = redis.call('HMGET', KEYS[3], 'status', 'userId', 'orderId')
if record[1] ~= ARGV[2] or record[2] ~= ARGV[1] then return 0 end
if ARGV[2] == 'SUCCEEDED' and record[3] ~= ARGV[5] then return 0 end
redis.call('INCR', KEYS[1])
local held = redis.call('HINCRBY', KEYS[2], ARGV[1], -1)
if held <= 0 then redis.call('HDEL', KEYS[2], ARGV[1]) end
redis.call('HSET', KEYS[3], 'status', ARGV[3], 'reason', ARGV[4])
return 1`,
};

/**
 * Marks a grab SUCCEEDED with its order, unless it was already settled.
 * KEYS: grab record   ARGV: orderId, record TTL ms
 */
export const SUCCEED = {
  keys: 1,
  lua: `
local status = redis.call('HGET', KEYS[1], 'status')
if status == 'QUEUED' or status == false then
  redis.call('HSET', KEYS[1], 'status', 'SUCCEEDED', 'orderId', ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0`,
};

/**
 * Writes the sale state of a coupon. Stock is set only the first time (a repeated preheat during
 * a sale must never refill it); a changed total moves the remaining stock by the difference,
 * refused when more units are already taken than the new total.
 * KEYS: meta, stock   ARGV: status, type, limit, start_ms, end_ms, total
 * Returns { 'OK', stockLeft } or { 'BELOW_SOLD', sold }.
 */
export const PREHEAT = {
  keys: 2,
  lua: `
local previous = tonumber(redis.call('HGET', KEYS[1], 'total') or '-1')
local total = tonumber(ARGV[6])
if previous < 0 then
  redis.call('SET', KEYS[2], total)
elseif previous ~= total then
  local left = tonumber(redis.call('GET', KEYS[2]) or '0')
  local sold = previous - left
  if sold > total then return {'BELOW_SOLD', sold} end
  redis.call('INCRBY', KEYS[2], total - previous)
end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'type', ARGV[2], 'limit', ARGV[3], 'start_ms', ARGV[4], 'end_ms', ARGV[5], 'total', total)
return {'OK', tonumber(redis.call('GET', KEYS[2]))}`,
};

/**
 * Replaces a coupon's sale state with one rebuilt from the orders (reconciliation after Redis
 * lost data or drifted). Atomic, so no grab sees a half-written state.
 * KEYS: meta, stock, holders, seqs
 * ARGV: status, type, limit, start_ms, end_ms, total, stockLeft, n, then n × (userId, held, seq)
 */
export const RESTORE = {
  keys: 4,
  lua: `
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'type', ARGV[2], 'limit', ARGV[3], 'start_ms', ARGV[4], 'end_ms', ARGV[5], 'total', ARGV[6])
redis.call('SET', KEYS[2], ARGV[7])
local n = tonumber(ARGV[8])
for i = 0, n - 1 do
  local user, held, seq = ARGV[9 + i * 3], tonumber(ARGV[10 + i * 3]), ARGV[11 + i * 3]
  if held > 0 then redis.call('HSET', KEYS[3], user, held) end
  redis.call('HSET', KEYS[4], user, seq)
end
return 1`,
};
