import { type EventProducer, grabAccepted, newEvent, TOPICS } from '@couponkill/events';
import type { Logger } from '@couponkill/logging';
import type { RedisClient } from '@couponkill/redis';
import { couponKeys, couponOfGrab, OUTBOX_REGISTRY, Sale } from '@couponkill/sale';
import { Cluster } from 'ioredis';

/** Defaults of the relay's timing (the function's config sets each). */
const DEFAULT_BLOCK_MS = 1000;
const DEFAULT_REGISTRY_REFRESH_MS = 1000;
const DEFAULT_PRUNE_INTERVAL_MS = 30_000;
/** The blocking connection's command timeout beyond the block, so a block that ends on time never times out. */
const BLOCK_TIMEOUT_MARGIN_MS = 5000;

const GROUP = 'outbox-relay';
/** The reason a grab whose outbox entry cannot become an event is FAILED with. */
export const INVALID_INTENT = 'INVALID_INTENT';
const TRACEPARENT = /^[\da-f]{2}-[\da-f]{32}-[\da-f]{16}-[\da-f]{2}$/;

export interface RelayOptions {
  readonly redis: RedisClient;
  readonly producer: EventProducer;
  readonly logger: Logger;
  /** This instance's consumer name in the streams' group (stable across restarts of one pod). */
  readonly consumer: string;
  readonly batchSize: number;
  /** Pause when every outbox was empty and no blocking read is possible (cluster mode). */
  readonly idleMs: number;
  /** Entries another consumer left pending this long are taken over (it died). */
  readonly claimIdleMs: number;
  readonly topic?: string;
  /** The set of coupons with an outbox (see Sale's `outboxRegistry`). */
  readonly registry?: string;
  /** How long one read waits on the registered streams for new entries (standalone and sentinel). */
  readonly blockMs?: number;
  /** How often the registry is read again: a newly preheated coupon is relayed within this time. */
  readonly registryRefreshMs?: number;
  /** How often drained coupons whose sale is over are looked for and dropped from the registry. */
  readonly pruneIntervalMs?: number;
  /** The longest pause of a coupon whose relaying keeps failing (the others go on meanwhile). */
  readonly maxBackoffMs?: number;
  /** Polls each stream instead of blocking (always so on Redis Cluster, where streams live in different slots). */
  readonly poll?: boolean;
}

type StreamEntry = [id: string, fields: string[] | null];

export interface RelayStats {
  published: number;
  /** Failed attempts to relay one coupon's outbox (each one is retried after a backoff). */
  failures: number;
  /** Entries that could not become an event: their grab compensated, or copied to the dead letters. */
  poisoned: number;
  /** Coupons dropped from the registry (drained, sale over). */
  pruned: number;
  lastError: string | undefined;
}

interface CouponState {
  /** This consumer may have pending entries (after a start or a failed publish): read them first. */
  pending: boolean;
  failures: number;
  retryAt: number;
}

/**
 * Moves accepted grabs from each coupon's Redis outbox stream to Kafka. An entry is acknowledged
 * (and deleted) only after Kafka acknowledged its event with acks=-1, so nothing is lost when
 * Kafka or this process goes down: unacknowledged entries stay pending and are sent again —
 * after a restart from this consumer's pending list, after a crash by whoever claims them.
 * Duplicates are possible in that window; the order worker is idempotent on the grab id.
 *
 * New entries are waited for with one blocking XREADGROUP over every registered stream on a
 * connection of its own (Redis Cluster keeps coupons in different slots, so there each stream
 * is polled instead). Each coupon is relayed on its own: a failure backs that coupon off and
 * the others go on. An entry that can never become a valid event is settled, not retried.
 */
export class OutboxRelay {
  readonly #o: RelayOptions;
  readonly #registry: string;
  readonly #sale: Sale;
  readonly #groups = new Set<string>();
  readonly #coupons = new Map<string, CouponState>();
  readonly #blocking: RedisClient | undefined;
  readonly stats: RelayStats = { published: 0, failures: 0, poisoned: 0, pruned: 0, lastError: undefined };
  #running = false;
  #stopped: Promise<void> | undefined;
  #producerFailed = false;

  constructor(options: RelayOptions) {
    this.#o = options;
    this.#registry = options.registry ?? OUTBOX_REGISTRY;
    this.#sale = new Sale(options.redis, { outboxRegistry: this.#registry });
    // A blocking read holds its connection, so it gets one of its own, with a timeout beyond the block.
    this.#blocking =
      options.redis instanceof Cluster || options.poll === true
        ? undefined
        : options.redis.duplicate({
            connectionName: `${options.redis.options.connectionName ?? 'outbox-relay'}-block`,
            enableAutoPipelining: false,
            commandTimeout: this.#blockMs + BLOCK_TIMEOUT_MARGIN_MS,
          });
  }

  get #blockMs(): number {
    return this.#o.blockMs ?? DEFAULT_BLOCK_MS;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#stopped = this.#loop();
  }

  async stop(): Promise<void> {
    this.#running = false;
    // Ends a read blocked on the dedicated connection at once instead of after the block.
    this.#blocking?.disconnect();
    await this.#stopped;
  }

  /** Entries waiting in every registered outbox (published but unacknowledged ones included). */
  async backlog(): Promise<number> {
    const coupons = await this.#o.redis.smembers(this.#registry);
    const lengths = await Promise.all(coupons.map((c) => this.#o.redis.xlen(couponKeys(c).outbox)));
    return lengths.reduce((a, b) => a + b, 0);
  }

  /** The coupons this relay reads (as of its last look at the registry). */
  coupons(): string[] {
    return [...this.#coupons.keys()];
  }

  /**
   * One pass without waiting: the registry, this consumer's pending entries, abandoned ones
   * (when `claimAbandoned`), then new entries of every coupon. Returns how many were published.
   */
  async relayOnce(claimAbandoned = false): Promise<number> {
    await this.#refresh();
    const moved = await this.#catchUp(claimAbandoned);
    return moved + (await this.#readEach(this.#eligible()));
  }

  /** Drops drained coupons whose sale is over from the registry; returns the ones dropped. */
  async prune(): Promise<string[]> {
    await this.#refresh();
    const dropped: string[] = [];
    for (const couponId of this.#eligible()) {
      try {
        if (await this.#pruneCoupon(couponId)) dropped.push(couponId);
      } catch (err) {
        this.#couponFailed(couponId, err);
      }
    }
    return dropped;
  }

  async #loop(): Promise<void> {
    const refreshMs = this.#o.registryRefreshMs ?? DEFAULT_REGISTRY_REFRESH_MS;
    const pruneMs = this.#o.pruneIntervalMs ?? DEFAULT_PRUNE_INTERVAL_MS;
    let lastRefresh = 0;
    let lastClaim = 0;
    let lastPrune = Date.now();
    let backoffMs = 0;
    while (this.#running) {
      try {
        if (Date.now() - lastRefresh >= refreshMs) {
          await this.#refresh();
          lastRefresh = Date.now();
        }
        const claim = Date.now() - lastClaim > this.#o.claimIdleMs / 2;
        if (claim) lastClaim = Date.now();
        await this.#catchUp(claim);
        if (Date.now() - lastPrune >= pruneMs) {
          lastPrune = Date.now();
          await this.prune();
        }
        await this.#readNew(lastRefresh + refreshMs - Date.now());
        await this.#resetProducerIfFailed();
        backoffMs = 0;
      } catch (err) {
        if (!this.#running) break;
        // Only the registry read gets here (a coupon's failure stays with that coupon).
        this.stats.failures += 1;
        this.stats.lastError = (err as Error).message;
        backoffMs = Math.min(this.#o.maxBackoffMs ?? 2000, backoffMs === 0 ? 100 : backoffMs * 2);
        this.#o.logger.warn({ err, backoffMs }, 'outbox relay cannot read its registry; entries stay in Redis');
        await sleep(backoffMs);
      }
    }
  }

  async #refresh(): Promise<void> {
    const registered = new Set(await this.#o.redis.smembers(this.#registry));
    for (const couponId of registered) {
      if (!this.#coupons.has(couponId)) this.#coupons.set(couponId, { pending: true, failures: 0, retryAt: 0 });
    }
    for (const couponId of this.#coupons.keys()) {
      if (!registered.has(couponId)) this.#forget(couponId);
    }
  }

  #forget(couponId: string): void {
    this.#coupons.delete(couponId);
    this.#groups.delete(couponKeys(couponId).outbox);
  }

  /** Coupons not backing off after a failure. */
  #eligible(): string[] {
    const now = Date.now();
    return [...this.#coupons].filter(([, s]) => s.retryAt <= now).map(([couponId]) => couponId);
  }

  /** This consumer's pending entries (all of them), and with `claim` the abandoned ones. */
  async #catchUp(claim: boolean): Promise<number> {
    let moved = 0;
    for (const couponId of this.#eligible()) {
      const state = this.#coupons.get(couponId);
      if (state === undefined || (!state.pending && !claim)) continue;
      try {
        const stream = couponKeys(couponId).outbox;
        await this.#ensureGroup(stream);
        while (state.pending) {
          const entries = await this.#read(this.#o.redis, [stream], '0', 0);
          const mine = entries.get(stream) ?? [];
          if (mine.length > 0) moved += await this.#publish(couponId, stream, mine);
          if (mine.length < this.#o.batchSize) state.pending = false;
        }
        if (claim) moved += await this.#claim(couponId, stream);
        this.#couponSucceeded(couponId);
      } catch (err) {
        this.#couponFailed(couponId, err);
      }
    }
    return moved;
  }

  async #claim(couponId: string, stream: string): Promise<number> {
    let moved = 0;
    let cursor = '0';
    do {
      const [next, claimed] = (await this.#o.redis.xautoclaim(
        stream,
        GROUP,
        this.#o.consumer,
        this.#o.claimIdleMs,
        cursor,
        'COUNT',
        this.#o.batchSize,
      )) as [string, StreamEntry[]];
      if (claimed.length > 0) moved += await this.#publish(couponId, stream, claimed);
      cursor = next;
    } while (cursor !== '0-0');
    return moved;
  }

  /** New entries: one blocking read over every stream, or a read per stream in cluster mode. */
  async #readNew(untilRefreshMs: number): Promise<number> {
    const ready = this.#eligible().filter((c) => this.#coupons.get(c)?.pending === false);
    if (ready.length === 0) {
      // Nothing to read until the registry is read again or a coupon's backoff ends.
      await sleep(Math.max(this.#o.idleMs, Math.min(untilRefreshMs, this.#nextRetryMs())));
      return 0;
    }
    if (this.#blocking === undefined) {
      const moved = await this.#readEach(ready);
      if (moved === 0) await sleep(this.#o.idleMs);
      return moved;
    }
    const blockMs = Math.min(this.#blockMs, untilRefreshMs, this.#nextRetryMs());
    if (blockMs < 1) return 0; // the registry is due: read it first (BLOCK 0 would wait forever)
    const streams: string[] = [];
    for (const couponId of ready) {
      const stream = couponKeys(couponId).outbox;
      try {
        await this.#ensureGroup(stream);
        streams.push(stream);
      } catch (err) {
        this.#couponFailed(couponId, err);
      }
    }
    if (streams.length === 0) return 0;
    let read: Map<string, StreamEntry[]>;
    try {
      read = await this.#read(this.#blocking, streams, '>', blockMs);
    } catch (err) {
      if (!this.#running) return 0;
      // One bad stream fails the whole read (a vanished group, a key of another type): read each
      // stream on its own this time, so only the culprit backs off.
      this.#o.logger.warn({ err }, 'blocking outbox read failed; reading each outbox on its own');
      for (const stream of streams) this.#groups.delete(stream);
      const moved = await this.#readEach(ready);
      // Not a tight loop while the blocking connection is down (it reconnects on its own).
      if (moved === 0) await sleep(Math.max(this.#o.idleMs, Math.min(100, untilRefreshMs)));
      return moved;
    }
    let moved = 0;
    for (const couponId of ready) {
      const stream = couponKeys(couponId).outbox;
      const entries = read.get(stream);
      if (entries === undefined || entries.length === 0) continue;
      try {
        moved += await this.#publish(couponId, stream, entries);
        this.#couponSucceeded(couponId);
      } catch (err) {
        this.#couponFailed(couponId, err);
      }
    }
    return moved;
  }

  /** A non-blocking read of each coupon's new entries, each coupon on its own. */
  async #readEach(coupons: readonly string[]): Promise<number> {
    let moved = 0;
    for (const couponId of coupons) {
      const state = this.#coupons.get(couponId);
      if (state === undefined || state.pending) continue;
      const stream = couponKeys(couponId).outbox;
      try {
        await this.#ensureGroup(stream);
        const entries = (await this.#read(this.#o.redis, [stream], '>', 0)).get(stream) ?? [];
        if (entries.length > 0) moved += await this.#publish(couponId, stream, entries);
        this.#couponSucceeded(couponId);
      } catch (err) {
        this.#couponFailed(couponId, err);
      }
    }
    return moved;
  }

  #couponSucceeded(couponId: string): void {
    const state = this.#coupons.get(couponId);
    if (state !== undefined) state.failures = 0;
  }

  #couponFailed(couponId: string, err: unknown): void {
    const message = String((err as Error).message);
    const stream = couponKeys(couponId).outbox;
    // The stream (and its group) vanished under us, e.g. Redis lost its data and the sale state
    // was rebuilt: the group is created again on the next try.
    if (message.includes('NOGROUP')) this.#groups.delete(stream);
    this.stats.failures += 1;
    this.stats.lastError = message;
    const state = this.#coupons.get(couponId);
    if (state === undefined) return;
    state.failures += 1;
    // Entries read before the failure are pending for this consumer: read them again first.
    state.pending = true;
    const backoffMs = Math.min(this.#o.maxBackoffMs ?? 2000, 100 * 2 ** Math.min(state.failures - 1, 10));
    state.retryAt = Date.now() + backoffMs;
    this.#o.logger.warn(
      { err, couponId, backoffMs },
      'relaying this coupon’s outbox failed; its entries stay in Redis, the other coupons go on',
    );
  }

  /** Milliseconds until the first coupon that backs off may be tried again. */
  #nextRetryMs(): number {
    const now = Date.now();
    let next = Number.POSITIVE_INFINITY;
    for (const s of this.#coupons.values()) if (s.retryAt > now) next = Math.min(next, s.retryAt - now);
    return next;
  }

  /** A fresh producer after a failed send: kafkajs can hang on its old connections and producer id. */
  async #resetProducerIfFailed(): Promise<void> {
    if (!this.#producerFailed) return;
    this.#producerFailed = false;
    await this.#o.producer.reset().catch((err: unknown) => this.#o.logger.warn({ err }, 'producer reset failed'));
  }

  async #ensureGroup(stream: string): Promise<void> {
    if (this.#groups.has(stream)) return;
    try {
      // From the start of the stream: entries written before the group existed are relayed too.
      await this.#o.redis.xgroup('CREATE', stream, GROUP, '0', 'MKSTREAM');
    } catch (err) {
      if (!String((err as Error).message).includes('BUSYGROUP')) throw err;
    }
    this.#groups.add(stream);
  }

  /** XREADGROUP over `streams` from `from` ('0': own pending, '>': new); blocks when blockMs > 0. */
  async #read(
    client: RedisClient,
    streams: readonly string[],
    from: string,
    blockMs: number,
  ): Promise<Map<string, StreamEntry[]>> {
    const args: Array<string | number> = ['GROUP', GROUP, this.#o.consumer, 'COUNT', this.#o.batchSize];
    if (blockMs > 0) args.push('BLOCK', blockMs);
    args.push('STREAMS', ...streams, ...streams.map(() => from));
    const reply = (await client.call('XREADGROUP', ...args)) as Array<[string, StreamEntry[]]> | null;
    return new Map(reply ?? []);
  }

  /**
   * Publishes a batch of one coupon's entries and then acknowledges and deletes all of them.
   * Entries that cannot become a valid event are settled instead (see #settlePoison).
   */
  async #publish(couponId: string, stream: string, entries: StreamEntry[]): Promise<number> {
    const events = [];
    const poison: Array<{ id: string; fields: Record<string, string>; problem: string }> = [];
    const gone: string[] = [];
    for (const [id, raw] of entries) {
      // A pending entry deleted before it was published comes back without fields.
      if (!Array.isArray(raw)) {
        gone.push(id);
        continue;
      }
      const fields = Object.fromEntries(pairs(raw));
      const data = {
        grabId: fields['grabId'],
        couponId,
        userId: fields['userId'],
        seq: Number(fields['seq']),
        acceptedAt: Number(fields['acceptedAt']),
      };
      const parsed = grabAccepted.schema.safeParse(data);
      if (!parsed.success || couponOfGrab(parsed.data.grabId) !== couponId) {
        const problem = parsed.success ? 'the grab id is not one of this coupon' : parsed.error.message;
        poison.push({ id, fields, problem });
        continue;
      }
      const traceparent = fields['traceparent'];
      const event = newEvent(grabAccepted, {
        id: parsed.data.grabId,
        source: '/couponkill/outbox-relay',
        subject: couponId,
        data: parsed.data,
        // A malformed trace context is dropped, not a reason to hold the grab back.
        ...(traceparent !== undefined && TRACEPARENT.test(traceparent) ? { traceparent } : {}),
      });
      // Keyed by user: a hot coupon still spreads over every partition, and one user's events stay in order.
      events.push({ event, key: parsed.data.userId });
    }
    if (events.length > 0) {
      try {
        await this.#o.producer.send(this.#o.topic ?? TOPICS.grabAccepted, events);
      } catch (err) {
        this.#producerFailed = true;
        throw err;
      }
    }
    for (const entry of poison) await this.#settlePoison(couponId, entry);
    if (gone.length > 0) {
      this.#o.logger.error({ couponId, entryIds: gone }, 'pending outbox entries were deleted before publishing');
    }
    const ids = entries.map(([id]) => id);
    await this.#o.redis.xack(stream, GROUP, ...ids);
    await this.#o.redis.xdel(stream, ...ids);
    this.stats.published += events.length;
    return events.length;
  }

  /**
   * An entry that can never become a valid event would otherwise be retried forever. When its
   * grab is known, the grab is compensated (unit and slot back, the owner sees FAILED with the
   * reason); otherwise the raw entry is kept in the coupon's dead letters for a person to look at.
   */
  async #settlePoison(
    couponId: string,
    entry: { id: string; fields: Record<string, string>; problem: string },
  ): Promise<void> {
    this.stats.poisoned += 1;
    const { grabId, userId } = entry.fields;
    const log = { couponId, entryId: entry.id, fields: entry.fields, problem: entry.problem };
    if (grabId !== undefined && couponOfGrab(grabId) === couponId && userId !== undefined && userId !== '') {
      if (await this.#sale.release(grabId, userId, { from: 'QUEUED', to: 'FAILED', reason: INVALID_INTENT })) {
        this.#o.logger.error(log, 'outbox entry is not a valid grab intent: its grab was compensated (FAILED)');
        return;
      }
      const record = await this.#sale.record(grabId);
      if (record !== undefined && record.status !== 'QUEUED') {
        this.#o.logger.error(log, 'outbox entry is not a valid grab intent; its grab was already settled');
        return;
      }
    }
    await this.#o.redis.hset(
      couponKeys(couponId).dead,
      grabId !== undefined && couponOfGrab(grabId) === couponId ? grabId : `entry:${entry.id}`,
      JSON.stringify({ entryId: entry.id, fields: entry.fields, reason: INVALID_INTENT, deadLetteredAt: Date.now() }),
    );
    this.#o.logger.error(log, 'outbox entry is not a valid grab intent: copied to the coupon’s dead letters');
  }

  /**
   * Drops a coupon from the registry when its outbox is drained (empty, nothing pending) and its
   * sale is not active; puts it back when it became active or got entries meanwhile.
   */
  async #pruneCoupon(couponId: string): Promise<boolean> {
    const k = couponKeys(couponId);
    if (!(await this.#finished(couponId))) return false;
    await this.#o.redis.srem(this.#registry, couponId);
    // A preheat (reactivation) or a grab may have come between the look and the removal.
    if (!(await this.#finished(couponId))) {
      await this.#o.redis.sadd(this.#registry, couponId);
      return false;
    }
    this.#forget(couponId);
    this.stats.pruned += 1;
    this.#o.logger.info({ couponId, stream: k.outbox }, 'coupon drained and its sale is over: no longer relayed');
    return true;
  }

  async #finished(couponId: string): Promise<boolean> {
    const k = couponKeys(couponId);
    const [length, pending, meta, [seconds, micros]] = await Promise.all([
      this.#o.redis.xlen(k.outbox),
      this.#o.redis.xpending(k.outbox, GROUP).then(
        (summary) => Number((summary as [number, ...unknown[]])[0]),
        (err: unknown) => {
          // No group (or no stream): nothing can be pending.
          if (String((err as Error).message).includes('NOGROUP')) return 0;
          throw err;
        },
      ),
      this.#o.redis.hmget(k.meta, 'status', 'end_ms'),
      this.#o.redis.time(),
    ]);
    if (length > 0 || pending > 0) return false;
    const [status, endMs] = meta;
    // The grab script decides with the same clock: Redis server time.
    const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    const ended = endMs !== null && Number(endMs) > 0 && Number(endMs) <= now;
    return status !== 'active' || ended;
  }
}

function pairs(fields: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < fields.length; i += 2) out.push([fields[i] as string, fields[i + 1] as string]);
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
