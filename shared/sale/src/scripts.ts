import { TOKEN_BUCKET_LUA } from '@couponkill/redis';

/**
 * The Lua scripts of the sale. Time comes from Redis `TIME`, never from a pod's clock.
 * KEYS always belong to one coupon (one hash slot).
 */

/** Shared prelude: the server clock in epoch milliseconds. */
const NOW = `local t = redis.call('TIME'); local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * The grab, for a batch of grabs of one coupon sent together (one tick's grabs on one instance):
 * for each, in order, checks and takes in one atomic step, at most once per grab id. One batch is
 * one round trip and one script run however many grabs it holds, so a hot coupon costs Redis and
 * the instance a fraction of a command per grab.
 * KEYS: meta, stock, holders, seqs, outbox, flow bucket of the coupon, queued count, then for each
 *       grab its record and, when any flow rule applies (ARGV 4–9 not all 0), its user's and its
 *       client address's flow buckets on this coupon
 * ARGV: attempt id, deadline (Redis clock, epoch ms; 0 = none), outbox cap, then rate per second
 *       and burst of the coupon's, a user's and an address's bucket (rate 0 = no rule), then for
 *       each grab: userId, grabId, traceparent ('' = none)
 * Returns four values per grab, in order: { outcome, a, b, c } — OK and EXISTING: seq,
 * acceptedAt, stockLeft (-1 for EXISTING); NOT_STARTED: ms until start; RATE_LIMITED: ms until
 * the coupon's, the user's, the address's bucket has a token (0 = has one); PAUSED: ms until the
 * pause ends.
 *
 * A grab id that already has a record is answered from it (EXISTING) and takes nothing: a retry
 * with the same Idempotency-Key, or a command the client sent twice, never takes a second unit
 * (also when both are in one batch: the first one's record is written before the second is
 * looked at). A record voided by FENCE for this very attempt (its caller has answered "nothing
 * was taken") turns the late command away (VOIDED); a voided record of another attempt is a
 * retry's to take. Past its deadline the batch does nothing (EXPIRED): the caller has stopped
 * waiting for it.
 *
 * Flow control sits after the checks that write nothing (unknown, inactive, outside the window)
 * and before the per-user limit and the stock: a rate-limited grab takes nothing and writes
 * nothing, and tokens are taken from every bucket only when all of them have one. The outbox cap
 * comes last before taking: a backlog Kafka cannot drain is answered BACKLOGGED (503), never
 * trimmed, so an accepted intent is never dropped.
 */
export const GRAB = {
  keys: 'variable',
  lua: `
${TOKEN_BUCKET_LUA}
${NOW}
local meta_key, stock_key, holders_key, seqs_key, outbox_key = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local coupon_bucket_key, queued_key = KEYS[6], KEYS[7]
local attempt_id, deadline, outbox_cap = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
-- The three buckets, in the order of a RATE_LIMITED reply: the coupon's, the user's, the address's.
local rates = {tonumber(ARGV[4]), tonumber(ARGV[6]), tonumber(ARGV[8])}
local bursts = {tonumber(ARGV[5]), tonumber(ARGV[7]), tonumber(ARGV[9])}
local flow_on = rates[1] > 0 or rates[2] > 0 or rates[3] > 0
local key_stride = flow_on and 3 or 1
local count = (#ARGV - 9) / 3
local out = {}
local function answer(outcome, a, b, c)
  local n = #out
  out[n + 1], out[n + 2], out[n + 3], out[n + 4] = outcome, a, b, c
end
if deadline > 0 and now > deadline then
  for _ = 1, count do answer('EXPIRED', 0, 0, 0) end
  return out
end
-- What the sale's state says about every grab of the batch, read once.
local meta = redis.call('HMGET', meta_key, 'status', 'limit', 'start_ms', 'end_ms', 'paused_until')
local closed, closed_a = false, 0
if not meta[1] then closed = 'NOT_FOUND'
elseif meta[1] ~= 'active' then closed = 'INACTIVE'
else
  local paused_until = tonumber(meta[5] or '0')
  local start_ms, end_ms = tonumber(meta[3]), tonumber(meta[4])
  if paused_until > now then closed, closed_a = 'PAUSED', paused_until - now
  elseif start_ms > 0 and now < start_ms then closed, closed_a = 'NOT_STARTED', start_ms - now
  elseif end_ms > 0 and now >= end_ms then closed = 'ENDED' end
end
local limit = tonumber(meta[2] or '0')
local fnow = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local stock, backlog = nil, nil
for i = 1, count do
  local key_at, arg_at = 7 + (i - 1) * key_stride, 9 + (i - 1) * 3
  local record_key = KEYS[key_at + 1]
  local user_id, grab_id, traceparent = ARGV[arg_at + 1], ARGV[arg_at + 2], ARGV[arg_at + 3]
  local record = redis.call('HMGET', record_key, 'status', 'userId', 'seq', 'acceptedAt')
  local settled = false
  if record[1] then
    if record[2] ~= user_id then answer('NOT_FOUND', 0, 0, 0); settled = true
    elseif record[1] ~= 'VOID' then answer('EXISTING', tonumber(record[3]) or 0, tonumber(record[4]) or 0, -1); settled = true
    elseif redis.call('HEXISTS', record_key, 'void:' .. attempt_id) == 1 then answer('VOIDED', 0, 0, 0); settled = true end
  end
  if not settled and closed then answer(closed, closed_a, 0, 0); settled = true end
  if not settled and flow_on then
    local bucket_keys = {coupon_bucket_key, KEYS[key_at + 2], KEYS[key_at + 3]}
    local waits, tats, limited = {0, 0, 0}, {}, false
    for b = 1, 3 do
      if rates[b] > 0 then
        local wait, tat = bucket_wait(bucket_keys[b], fnow, rates[b], bursts[b])
        if wait > 0 then
          waits[b] = math.ceil(wait)
          limited = true
        end
        tats[b] = tat
      end
    end
    if limited then
      answer('RATE_LIMITED', waits[1], waits[2], waits[3]); settled = true
    else
      for b = 1, 3 do
        if tats[b] then bucket_take(bucket_keys[b], fnow, rates[b], tats[b]) end
      end
    end
  end
  if not settled then
    local held = tonumber(redis.call('HGET', holders_key, user_id) or '0')
    if stock == nil then stock = tonumber(redis.call('GET', stock_key) or '0') end
    if held >= limit then answer('LIMIT_REACHED', 0, 0, 0)
    elseif stock <= 0 then answer('SOLD_OUT', 0, 0, 0)
    else
      if backlog == nil then backlog = redis.call('XLEN', outbox_key) end
      if backlog >= outbox_cap then answer('BACKLOGGED', 0, 0, 0)
      else
        -- Every write of a take is made with it: should the script fail at a later grab, Redis keeps
        -- what ran, and each grab taken so far is whole (stock, count, record) for the fence to find.
        stock, backlog = stock - 1, backlog + 1
        redis.call('DECR', stock_key)
        redis.call('INCR', queued_key)
        redis.call('HINCRBY', meta_key, 'ver', 1)
        redis.call('HINCRBY', holders_key, user_id, 1)
        local seq = redis.call('HINCRBY', seqs_key, user_id, 1)
        if traceparent ~= '' then
          redis.call('XADD', outbox_key, '*', 'grabId', grab_id, 'userId', user_id, 'seq', seq, 'acceptedAt', now, 'traceparent', traceparent)
        else
          redis.call('XADD', outbox_key, '*', 'grabId', grab_id, 'userId', user_id, 'seq', seq, 'acceptedAt', now)
        end
        -- No expiry while QUEUED: the record is what the order worker, a cancel and an audit find
        -- the grab by; it gets one once settled.
        redis.call('HSET', record_key, 'userId', user_id, 'status', 'QUEUED', 'seq', seq, 'acceptedAt', now)
        redis.call('PERSIST', record_key)
        answer('OK', seq, now, stock)
      end
    end
  end
end
return out`,
} as const;

export const FENCE = {
  keys: 1,
  lua: `
local record_key = KEYS[1]
local user_id, attempt_id, void_ttl_ms = ARGV[1], ARGV[2], ARGV[3]
local record = redis.call('HMGET', record_key, 'status', 'userId', 'seq', 'acceptedAt')
if record[1] and record[1] ~= 'VOID' and record[2] == user_id then
  return {'TAKEN', tonumber(record[3]), tonumber(record[4]), record[1]}
end
if record[1] and record[2] ~= user_id then return {'VOID', 0, 0, ''} end
redis.call('HSET', record_key, 'status', 'VOID', 'userId', user_id, 'void:' .. attempt_id, '1')
if redis.call('PTTL', record_key) < tonumber(void_ttl_ms) then redis.call('PEXPIRE', record_key, void_ttl_ms) end
return {'VOID', 0, 0, ''}`,
};

/**
 * Gives a grab's unit of stock and the user's slot back, exactly once. `from` QUEUED: a grab
 * whose order can never be written (→ FAILED). `from` SUCCEEDED: the order was cancelled or
 * expired; its record may still be QUEUED when the worker committed the order but had not yet
 * marked the grab (a cancel in that window must still release it, and SUCCEED then leaves the
 * record alone).
 * KEYS: stock, holders, grab record, queued count, meta (its version is bumped)
 * ARGV: userId, expected status, new status, reason, orderId, record TTL ms
 * Returns 1 when it released, 0 when it had already happened (or never applied).
 */
export const RELEASE = {
  keys: 5,
  lua: `
local stock_key, holders_key, record_key, queued_key, meta_key = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local user_id, expected, status, reason, order_id, record_ttl_ms = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local record = redis.call('HMGET', record_key, 'status', 'userId', 'orderId')
if record[2] ~= user_id then return 0 end
local was = record[1]
if expected == 'SUCCEEDED' then
  if was == 'SUCCEEDED' then
    if record[3] ~= order_id then return 0 end
  elseif was ~= 'QUEUED' then
    return 0
  end
elseif was ~= expected then
  return 0
end
redis.call('INCR', stock_key)
local held = redis.call('HINCRBY', holders_key, user_id, -1)
if held <= 0 then redis.call('HDEL', holders_key, user_id) end
if was == 'QUEUED' and redis.call('DECR', queued_key) < 0 then redis.call('SET', queued_key, 0) end
if redis.call('EXISTS', meta_key) == 1 then redis.call('HINCRBY', meta_key, 'ver', 1) end
redis.call('HSET', record_key, 'status', status, 'reason', reason)
if order_id ~= '' then redis.call('HSET', record_key, 'orderId', order_id) end
if redis.call('PTTL', record_key) < 0 then redis.call('PEXPIRE', record_key, record_ttl_ms) end
return 1`,
};

/**
 * Marks a QUEUED grab SUCCEEDED with its order. The record then expires `keep` ms on (a cancel
 * or an expiry releases through it until then).
 * KEYS: grab record, queued count, meta (its version is bumped)   ARGV: orderId, record TTL ms, userId
 * Returns 1 (marked now), 0 (already SUCCEEDED or CANCELLED with this order: a redelivery), or
 * -1 (the grab was compensated, or is not this user's: the order must not stand).
 */
export const SUCCEED = {
  keys: 3,
  lua: `
local record_key, queued_key, meta_key = KEYS[1], KEYS[2], KEYS[3]
local order_id, record_ttl_ms, user_id = ARGV[1], ARGV[2], ARGV[3]
local record = redis.call('HMGET', record_key, 'status', 'userId', 'orderId')
if record[2] ~= user_id then return -1 end
if record[1] == 'QUEUED' then
  redis.call('HSET', record_key, 'status', 'SUCCEEDED', 'orderId', order_id)
  redis.call('PEXPIRE', record_key, record_ttl_ms)
  if redis.call('DECR', queued_key) < 0 then redis.call('SET', queued_key, 0) end
  if redis.call('EXISTS', meta_key) == 1 then redis.call('HINCRBY', meta_key, 'ver', 1) end
  return 1
end
if (record[1] == 'SUCCEEDED' or record[1] == 'CANCELLED') and record[3] == order_id then return 0 end
return -1`,
};

/**
 * Writes the sale state of a coupon. Stock is set only the first time (a repeated preheat during
 * a sale must never refill it); a changed total moves the remaining stock by the difference,
 * refused when more units are already taken than the new total. Without sale state, a coupon
 * with live orders or leftovers of an earlier state is refused: its state must be rebuilt from
 * the orders (an audit), never refilled to the full total.
 * KEYS: meta, stock, holders, seqs, queued count, outbox
 * ARGV: status, type, limit, start_ms, end_ms, total, orders holding a unit in MySQL (-1 = not
 *       counted yet: only needed when there is no sale state, answered NEEDS_COUNT then)
 * Returns { 'OK', stockLeft }, { 'BELOW_SOLD', sold }, { 'NEEDS_COUNT', 0 } or
 * { 'NEEDS_AUDIT', orders }.
 */
export const PREHEAT = {
  keys: 6,
  lua: `
local meta_key, stock_key, holders_key, seqs_key, queued_key, outbox_key = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local status, coupon_type, limit, start_ms, end_ms = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local previous = tonumber(redis.call('HGET', meta_key, 'total') or '-1')
local total = tonumber(ARGV[6])
if previous < 0 then
  local live = tonumber(ARGV[7])
  if live < 0 then return {'NEEDS_COUNT', 0} end
  if live > 0 or redis.call('EXISTS', stock_key, holders_key, seqs_key) > 0 or tonumber(redis.call('GET', queued_key) or '0') > 0
    or redis.call('XLEN', outbox_key) > 0 then
    return {'NEEDS_AUDIT', live}
  end
  redis.call('SET', stock_key, total)
elseif previous ~= total then
  local left = tonumber(redis.call('GET', stock_key) or '0')
  local sold = previous - left
  if sold > total then return {'BELOW_SOLD', sold} end
  redis.call('INCRBY', stock_key, total - previous)
end
redis.call('HSET', meta_key, 'status', status, 'type', coupon_type, 'limit', limit, 'start_ms', start_ms, 'end_ms', end_ms, 'total', total)
redis.call('HINCRBY', meta_key, 'ver', 1)
return {'OK', tonumber(redis.call('GET', stock_key))}`,
};

/**
 * Holds the grabs of a coupon for `ms` (they are answered PAUSED, 503 with Retry-After) and
 * returns the state version, so an audit can rebuild the state while nothing is taken.
 * KEYS: meta   ARGV: ms (0 = lift the pause)
 * Returns { version, paused until (Redis clock) } or { -1, 0 } when the coupon has no sale state.
 */
export const PAUSE = {
  keys: 1,
  lua: `
${NOW}
local meta_key = KEYS[1]
local ms = tonumber(ARGV[1])
if redis.call('EXISTS', meta_key) == 0 then return {-1, 0} end
if ms > 0 then redis.call('HSET', meta_key, 'paused_until', now + ms) else redis.call('HDEL', meta_key, 'paused_until') end
return {tonumber(redis.call('HGET', meta_key, 'ver') or '0'), ms > 0 and now + ms or 0}`,
};

/**
 * Replaces a coupon's sale state with one rebuilt from the orders (an audit after Redis
 * lost data or drifted), only if nothing changed it since `version` was read (compare-and-set:
 * a grab, release or order mark bumps it). Atomic, so no grab sees a half-written state. Lifts
 * the pause. The QUEUED count is left alone: the grabs it counts are settled later as usual.
 * KEYS: meta, stock, holders, seqs
 * ARGV: expected version (-1 = any), status, type, limit, start_ms, end_ms, total, stockLeft, n,
 *       then n × (userId, held, seq)
 * Returns 1, or 0 when the state changed meanwhile.
 */
export const RESTORE = {
  keys: 4,
  lua: `
local meta_key, stock_key, holders_key, seqs_key = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local status, coupon_type, limit, start_ms, end_ms, total, stock_left = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]
-- After the first nine arguments: one (userId, held, seq) triple per holder.
local first_holder, holder_width = 10, 3
local expected = tonumber(ARGV[1])
local version = tonumber(redis.call('HGET', meta_key, 'ver') or '0')
if expected >= 0 and version ~= expected then return 0 end
redis.call('DEL', meta_key, stock_key, holders_key, seqs_key)
redis.call('HSET', meta_key, 'status', status, 'type', coupon_type, 'limit', limit, 'start_ms', start_ms, 'end_ms', end_ms, 'total', total, 'ver', version + 1)
redis.call('SET', stock_key, stock_left)
local n = tonumber(ARGV[9])
for i = 0, n - 1 do
  local at = first_holder + i * holder_width
  local user, held, seq = ARGV[at], tonumber(ARGV[at + 1]), ARGV[at + 2]
  if held > 0 then redis.call('HSET', holders_key, user, held) end
  redis.call('HSET', seqs_key, user, seq)
end
return 1`,
};

/**
 * Drops a coupon's sale state, unless accepted grabs are still on their way to becoming orders
 * (outbox entries, QUEUED grabs, dead letters): deleting those would lose them.
 * KEYS: meta, stock, holders, seqs, outbox, queued count, dead letters
 * Returns { 'OK', 0, 0, 0 } or { 'BUSY', outbox length, queued, dead letters }.
 */
export const REMOVE = {
  keys: 7,
  lua: `
local meta_key, stock_key, holders_key, seqs_key = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local outbox_key, queued_key, dead_letters_key = KEYS[5], KEYS[6], KEYS[7]
local outbox = redis.call('XLEN', outbox_key)
local queued = tonumber(redis.call('GET', queued_key) or '0')
local dead = redis.call('HLEN', dead_letters_key)
if outbox > 0 or queued > 0 or dead > 0 then return {'BUSY', outbox, queued, dead} end
redis.call('DEL', meta_key, stock_key, holders_key, seqs_key, outbox_key, queued_key, dead_letters_key)
return {'OK', 0, 0, 0}`,
};
