import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError } from '@couponkill/errors';
import type { HttpResponse } from '@couponkill/http';
import { defineScripts, type RedisClient } from '@couponkill/redis';
import type { GrabRecord, GrabStatus } from '@couponkill/sale';
import type { GrabReader } from './grabs.js';
import { formatComment, formatEvent, SSE_HEADERS } from './sse.js';
import { grabView, isFinal } from './view.js';

export interface StreamSettings {
  /** The stream ends with `event: timeout` after this long. */
  readonly maxMs: number;
  readonly pollMs: number;
  /** A keep-alive comment goes out after this much silence. */
  readonly keepAliveMs: number;
  /** Open streams one user may hold at once, over every instance; one more is answered 429. */
  readonly maxPerUser: number;
}

/** Structural shapes of the prom-client metrics a stream updates. */
export interface StreamStats {
  readonly open: { inc(): void; dec(): void };
  readonly polls: { inc(): void };
}

/**
 * Takes a stream slot of a user: expired leases are dropped, then a lease ending `lease ms` from
 * now is added unless the user already holds `limit`. Leases (not counters) so that a
 * stream of an instance that crashed stops counting once it would have timed out anyway.
 * KEYS: the user's lease set   ARGV: limit, lease ms, lease id
 * Returns 0 when taken, otherwise the ms until the oldest lease runs out.
 */
const TAKE_SLOT = {
  keys: 1,
  lua: `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local leases_key = KEYS[1]
local limit, lease_ms, lease_id = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
redis.call('ZREMRANGEBYSCORE', leases_key, '-inf', now)
if redis.call('ZCARD', leases_key) >= limit then
  local oldest = redis.call('ZRANGE', leases_key, 0, 0, 'WITHSCORES')
  return math.max(1, tonumber(oldest[2]) - now)
end
redis.call('ZADD', leases_key, now + lease_ms, lease_id)
redis.call('PEXPIRE', leases_key, lease_ms)
return 0`,
};

/** Per-user stream slots in Redis, shared by every instance of the function. */
export class StreamSlots {
  readonly #redis: RedisClient;
  readonly #take;

  constructor(redis: RedisClient) {
    this.#redis = redis;
    this.#take = defineScripts(redis, { takeStreamSlot: TAKE_SLOT }).takeStreamSlot;
  }

  /**
   * A slot for one stream of `userId` held for at most `leaseMs`, or RATE_LIMITED (429 with
   * Retry-After) when the user holds `limit` already. Returns the release.
   */
  async take(userId: string, limit: number, leaseMs: number): Promise<() => Promise<void>> {
    const key = `ck:{sse:${userId}}:streams`;
    const id = randomUUID();
    const waitMs = Number(await this.#take([key], [limit, leaseMs, id]));
    if (waitMs > 0) {
      throw new AppError(
        'RATE_LIMITED',
        `At most ${limit} event streams at once; close one or poll the grab instead.`,
        {
          retryAfterSeconds: Math.min(60, Math.max(1, Math.ceil(waitMs / 1000))),
        },
      );
    }
    return async () => {
      await this.#redis.zrem(key, id);
    };
  }
}

// A lease outlives its stream's longest life by this much, for a slow last write and clock skew.
const LEASE_SLACK_MS = 10_000;

/**
 * The open event streams of this instance: each follows one grab until it settles, times out,
 * the client leaves or the instance shuts down.
 *
 * Why polling, not keyspace notifications: notifications must be switched on in the server
 * config (`notify-keyspace-events`, off by default and often locked on managed Redis); they are
 * fire-and-forget pub/sub, so one lost during a reconnect leaves a stream waiting for nothing;
 * on Redis Cluster each node only publishes its own keys, so a subscriber must hold a connection
 * to every node; and they need a subscriber connection of their own. One HGET per stream every
 * ~200 ms is a small, bounded load (streams live at most `maxMs`, and ioredis auto-pipelines the
 * commands of one tick into one round trip), needs no server setting and recovers by itself.
 */
export class GrabStreams {
  readonly #grabs: GrabReader;
  readonly #settings: StreamSettings;
  readonly #stats: StreamStats;
  readonly #slots: StreamSlots;
  readonly #shutdown = new AbortController();
  readonly #running = new Set<Promise<void>>();

  constructor(grabs: GrabReader, settings: StreamSettings, stats: StreamStats, slots: StreamSlots) {
    this.#grabs = grabs;
    this.#settings = settings;
    this.#stats = stats;
    this.#slots = slots;
  }

  /**
   * Answers with an event stream that starts with `first` (the record the caller was checked
   * against) and resolves when the stream is over. Rejects with RATE_LIMITED, before anything
   * is written, when the owner already holds `maxPerUser` streams; the slot is given back when
   * the stream ends, however it ends. Rejects on a Redis error after the headers went out; the
   * HTTP wrapper then cuts the connection, and EventSource reconnects.
   */
  async serve(res: HttpResponse, first: GrabRecord): Promise<void> {
    const { maxPerUser, maxMs } = this.#settings;
    const release = await this.#slots.take(first.userId, maxPerUser, maxMs + LEASE_SLACK_MS);
    const running = this.#follow(res, first).finally(() => release().catch(() => undefined));
    this.#running.add(running);
    const forget = () => this.#running.delete(running);
    running.then(forget, forget);
    return running;
  }

  /** Ends every open stream (clients reconnect to another instance) and waits for them. */
  async close(): Promise<void> {
    this.#shutdown.abort();
    await Promise.allSettled(this.#running);
  }

  async #follow(res: HttpResponse, first: GrabRecord): Promise<void> {
    const { maxMs, pollMs, keepAliveMs } = this.#settings;
    const stop = new AbortController();
    const halt = () => stop.abort();
    // `close` on the response fires when the client goes away (and after we end it); a client
    // that left while we were still authenticating is already destroyed and never fires it.
    res.once('close', halt);
    this.#shutdown.signal.addEventListener('abort', halt, { once: true });
    if (res.destroyed || this.#shutdown.signal.aborted) halt();
    this.#stats.open.inc();

    let lastWrite = 0;
    const write = (chunk: string) => {
      res.write(chunk);
      lastWrite = performance.now();
    };
    const sendStatus = (record: GrabRecord) =>
      write(formatEvent({ event: 'status', id: record.status, data: JSON.stringify(grabView(record)) }));

    try {
      res.writeHead(200, SSE_HEADERS);
      // Last-Event-ID is honoured loosely: whatever the client saw last, it gets the current state.
      sendStatus(first);
      const deadline = performance.now() + maxMs;
      let status: GrabStatus = first.status;
      while (!isFinal(status)) {
        const remaining = deadline - performance.now();
        if (remaining <= 0) {
          write(formatEvent({ event: 'timeout', data: JSON.stringify({ grabId: first.grabId, status }) }));
          break;
        }
        if (!(await pause(Math.min(pollMs, remaining), stop.signal))) break;
        if (performance.now() >= deadline) continue;

        this.#stats.polls.inc();
        const now = await this.#grabs.status(first.grabId);
        if (stop.signal.aborted) break;
        // The record expired or was removed: there is nothing more to tell. A reconnect gets 404.
        if (now === undefined) break;
        if (now !== status) {
          const record = await this.#grabs.record(first.grabId);
          if (stop.signal.aborted || record === undefined) break;
          if (record.status !== status) sendStatus(record);
          status = record.status;
        } else if (performance.now() - lastWrite >= keepAliveMs) {
          write(formatComment('keep-alive'));
        }
      }
      if (!res.destroyed) res.end();
    } finally {
      res.off('close', halt);
      this.#shutdown.signal.removeEventListener('abort', halt);
      this.#stats.open.dec();
    }
  }
}

/** Waits `ms`; false when the stream was stopped meanwhile. */
function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  return sleep(ms, true, { signal }).catch(() => false);
}
