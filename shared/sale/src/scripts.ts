/**
 * The Lua scripts of the sale. Time comes from Redis `TIME`, never from a pod's clock.
 * KEYS always belong to one coupon (one hash slot).
 */

/** Shared prelude: the server clock in epoch milliseconds. */
const NOW = `local t = redis.call('TIME'); local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * The grab: checks and takes in one atomic step.
 * KEYS: meta, stock, holders, seqs, outbox, grab record
 * ARGV: userId, grabId, record TTL ms, outbox max length (approximate trim), traceparent ('' = none)
 * Returns { outcome, a, b } — OK: seq, acceptedAt, stockLeft; NOT_STARTED: ms until start.
 */
export const GRAB = {
  keys: 6,
  lua: `
${NOW}
local meta = redis.call('HMGET', KEYS[1], 'status', 'limit', 'start_ms', 'end_ms')
if not meta[1] then return {'NOT_FOUND', 0, 0, 0} end
if meta[1] ~= 'active' then return {'INACTIVE', 0, 0, 0} end
local start_ms, end_ms = tonumber(meta[3]), tonumber(meta[4])
if start_ms > 0 and now < start_ms then return {'NOT_STARTED', start_ms - now, 0, 0} end
if end_ms > 0 and now >= end_ms then return {'ENDED', 0, 0, 0} end
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
