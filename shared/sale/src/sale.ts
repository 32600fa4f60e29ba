import { createHash } from 'node:crypto';
import { defineScripts, type RedisClient, type TokenBucket } from '@couponkill/redis';
import { newId as ulid } from '@couponkill/ids';
import { RedisClock } from './clock.js';
import { couponKeys, couponOfGrab, grabIdOf, OUTBOX_REGISTRY } from './keys.js';
import { FENCE, GRAB, PAUSE, PREHEAT, RELEASE, REMOVE, RESTORE, SUCCEED } from './scripts.js';

/** What the sale of one coupon looks like in Redis. Times are epoch ms; 0 = no bound. */
export interface SaleSettings {
  readonly status: 'active' | 'inactive';
  readonly type: 'seckill' | 'normal';
  readonly perUserLimit: number;
  readonly startMs: number;
  readonly endMs: number;
  readonly totalStock: number;
}

export type GrabRefusal =
  | 'NOT_FOUND'
  | 'INACTIVE'
  | 'NOT_STARTED'
  | 'ENDED'
  | 'LIMIT_REACHED'
  | 'SOLD_OUT'
  | 'RATE_LIMITED'
  | 'PAUSED'
  | 'BACKLOGGED'
  | 'UNAVAILABLE';

/**
 * The flow-control buckets that apply to one grab (absent = no rule for that dimension), kept in
 * the coupon's hash slot, so they are decided inside the grab script in the same round trip.
 */
export interface GrabFlow {
  /** The client address the per-address bucket is counted for. */
  readonly clientIp: string;
  readonly coupon?: TokenBucket | undefined;
  readonly user?: TokenBucket | undefined;
  readonly ip?: TokenBucket | undefined;
}

/** Milliseconds until each bucket has a token again (0 = it had one, or no rule). */
export interface FlowWaits {
  readonly coupon: number;
  readonly user: number;
  readonly ip: number;
}

export type GrabOutcome =
  | {
      readonly ok: true;
      readonly grabId: string;
      readonly seq: number;
      readonly acceptedAt: number;
      /** Units left after this grab; undefined when the grab was answered from its record. */
      readonly stockLeft: number | undefined;
      /** The grab existed already (a retry with the same key, or an answer found by the fence). */
      readonly replayed: boolean;
    }
  | { readonly ok: false; readonly refusal: 'RATE_LIMITED'; readonly waitMs: FlowWaits }
  | {
      readonly ok: false;
      /**
       * Redis did not answer in time. `nothingTaken`: the fence settled that this attempt took no
       * unit and never will; otherwise the outcome is not known yet (a retry with the same
       * Idempotency-Key learns it).
       */
      readonly refusal: 'UNAVAILABLE';
      readonly nothingTaken: boolean;
    }
  | {
      readonly ok: false;
      readonly refusal: Exclude<GrabRefusal, 'RATE_LIMITED' | 'UNAVAILABLE'>;
      /** NOT_STARTED: until the start; PAUSED: until the pause ends. */
      readonly retryInMs?: number;
    };

export type GrabStatus = 'QUEUED' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

/** What marking a grab SUCCEEDED did (see SUCCEED). */
export type SucceedOutcome = 'marked' | 'already' | 'refused';

export interface GrabRecord {
  readonly grabId: string;
  readonly couponId: string;
  readonly userId: string;
  readonly status: GrabStatus;
  readonly seq: number;
  readonly acceptedAt: number;
  readonly orderId?: string;
  readonly reason?: string;
}

export interface SaleOptions {
  /** How long a settled grab's result stays readable. */
  readonly recordTtlMs?: number;
  /**
   * Unpublished intents one coupon's outbox may hold; at the cap grabs are answered BACKLOGGED
   * (503) before taking stock. Nothing is ever trimmed.
   */
  readonly outboxCap?: number;
  /** The set of coupons with an outbox (one per deployment; tests use their own). */
  readonly outboxRegistry?: string;
  /**
   * How long after it was sent a grab command may still take a unit (the script checks it on the
   * Redis clock). Past it, plus the clock error, an unanswered grab is settled by the fence.
   */
  readonly grabDeadlineMs?: number; /** Most grabs sent to Redis in one script run (see `Sale.grab`); 1 sends each on its own. */
  readonly grabBatchMax?: number;
}

/** A grab waiting for its batch to be sent. */
interface PendingGrab {
  readonly userId: string;
  readonly grabId: string;
  readonly traceparent: string;
  /** The client address its per-address bucket counts (with flow rules). */
  readonly clientIp: string;
  readonly resolve: (outcome: GrabOutcome) => void;
}

/** Grabs of one coupon under the same flow rules, sent as one script run. */
interface GrabBatch {
  readonly couponId: string;
  /** The rules of every grab in it (each grab's own client address is kept with the grab). */
  readonly flow: GrabFlow | undefined;
  readonly grabs: PendingGrab[];
}

/** The GRAB script's bucket arguments: rate and burst of the coupon's, a user's, an address's bucket. */
function flowRates(flow: GrabFlow | undefined): number[] {
  return [
    flow?.coupon?.ratePerSecond ?? 0,
    flow?.coupon?.burst ?? 0,
    flow?.user?.ratePerSecond ?? 0,
    flow?.user?.burst ?? 0,
    flow?.ip?.ratePerSecond ?? 0,
    flow?.ip?.burst ?? 0,
  ];
}

/** One grab's answer from its four values in the GRAB script's reply. */
function outcomeOf(grabId: string, outcome: string, a: number, b: number, c: number): GrabOutcome {
  switch (outcome) {
    case 'OK':
      return { ok: true, grabId, seq: a, acceptedAt: b, stockLeft: c, replayed: false };
    case 'EXISTING':
      return { ok: true, grabId, seq: a, acceptedAt: b, stockLeft: undefined, replayed: true };
    case 'NOT_STARTED':
    case 'PAUSED':
      return { ok: false, refusal: outcome, retryInMs: a };
    case 'RATE_LIMITED':
      return { ok: false, refusal: 'RATE_LIMITED', waitMs: { coupon: a, user: b, ip: c } };
    case 'EXPIRED':
    case 'VOIDED':
      // Its caller stopped waiting for this command; it took nothing.
      return { ok: false, refusal: 'UNAVAILABLE', nothingTaken: true };
    default:
      return { ok: false, refusal: outcome as Exclude<GrabRefusal, 'RATE_LIMITED' | 'UNAVAILABLE'> };
  }
}

/** Grabs per script run by default: enough to amortise a round trip, short enough not to hold Redis. */
const DEFAULT_GRAB_BATCH_MAX = 64;

/** An attempt's fence keeps asking this long past the grab's deadline before giving up. */
const FENCE_GRACE_MS = 2000;
const FENCE_RETRY_MS = 100;

/**
 * The grab id of an Idempotency-Key: derived from coupon, user and key, so every retry — on any
 * instance — names the same grab record, and no one else's key can name it. ULID-shaped.
 */
export function grabIdForKey(couponId: string, userId: string, key: string): string {
  const digest = createHash('sha256').update(`${couponId}\n${userId}\n${key}`).digest();
  let n = digest.readBigUInt64BE(0) * 2n ** 64n + digest.readBigUInt64BE(8);
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  let out = '';
  for (let i = 0; i < 26; i++) {
    out = alphabet[Number(n % 32n)] + out;
    n /= 32n;
  }
  return grabIdOf(couponId, out);
}

/** The sale state of every coupon, in Redis; each method is one atomic script or command. */
export class Sale {
  readonly #redis: RedisClient;
  readonly #ttlMs: number;
  readonly #outboxCap: number;
  readonly #registry: string;
  readonly #deadlineMs: number;
  readonly #clock = new RedisClock();
  readonly #batchMax: number;
  /** Grabs collected in this turn of the event loop, by coupon and flow rules. */
  readonly #batches = new Map<string, GrabBatch>();
  #flushScheduled = false;
  #calibrating = false;
  readonly #scripts;

  constructor(redis: RedisClient, options: SaleOptions = {}) {
    this.#redis = redis;
    this.#ttlMs = options.recordTtlMs ?? 24 * 3600 * 1000;
    this.#outboxCap = options.outboxCap ?? 1_000_000;
    this.#registry = options.outboxRegistry ?? OUTBOX_REGISTRY;
    this.#deadlineMs = options.grabDeadlineMs ?? 5000;
    this.#batchMax = Math.max(1, options.grabBatchMax ?? DEFAULT_GRAB_BATCH_MAX);
    this.#scripts = defineScripts(redis, {
      grab: GRAB,
      fence: FENCE,
      release: RELEASE,
      succeed: SUCCEED,
      preheat: PREHEAT,
      pause: PAUSE,
      restore: RESTORE,
      remove: REMOVE,
    });
  }

  get redis(): RedisClient {
    return this.#redis;
  }

  /**
   * Writes a coupon's sale state (on create, update and preheat). The first call sets the stock;
   * later ones move it by the change of the total, and refuse a total below what is already taken.
   * `countHeld` (orders holding a unit, from MySQL) guards the first call, and is only asked then:
   * a coupon that has orders but no sale state lost it, and is refused (`needsAudit`) rather
   * than refilled to its total.
   */
  async preheat(
    couponId: string,
    s: SaleSettings,
    countHeld: () => Promise<number>,
  ): Promise<{ readonly stockLeft: number } | { readonly belowSold: number } | { readonly needsAudit: number }> {
    const k = couponKeys(couponId);
    // Registered first: the relay must know every outbox that may get an entry.
    await this.#redis.sadd(this.#registry, couponId);
    const run = async (held: number) =>
      (await this.#scripts.preheat(
        [k.meta, k.stock, k.holders, k.seqs, k.queued, k.outbox],
        [s.status, s.type, s.perUserLimit, s.startMs, s.endMs, s.totalStock, held],
      )) as [string, number];
    let [outcome, value] = await run(-1);
    if (outcome === 'NEEDS_COUNT') [outcome, value] = await run(await countHeld());
    if (outcome === 'BELOW_SOLD') return { belowSold: value };
    if (outcome === 'NEEDS_AUDIT') return { needsAudit: value };
    return { stockLeft: value };
  }

  /**
   * Decides one grab: all checks and, if it wins, stock, holder count, outbox and record at once.
   * The caller's W3C `traceparent` travels with the intent, so the order is traced to the request.
   * With `flow`, the grab also needs a token from each of its buckets (RATE_LIMITED otherwise).
   * With `idempotencyKey`, the grab id is derived from it: a retry is answered from the grab it
   * took before and never takes a second unit.
   *
   * Grabs of one coupon (under the same flow rules) made in the same turn of the event loop go to
   * Redis together, as one script run (see GRAB), at most `grabBatchMax` at a time: a flood of
   * grabs costs a fraction of a round trip each, and a lone grab waits for nothing but the end of
   * the current turn.
   *
   * The answer is never a guess: when Redis does not answer (timeout, cut connection), the fence
   * finds out on Redis whether this attempt took a unit (→ ok) or makes sure it never will
   * (→ UNAVAILABLE with `nothingTaken`). Only when Redis stays out of reach past the deadline is
   * the outcome unknown (`nothingTaken: false`).
   */
  grab(
    couponId: string,
    userId: string,
    traceparent = '',
    flow?: GrabFlow,
    idempotencyKey?: string,
  ): Promise<GrabOutcome> {
    const grabId =
      idempotencyKey === undefined ? grabIdOf(couponId, ulid()) : grabIdForKey(couponId, userId, idempotencyKey);
    const batchKey = flow === undefined ? couponId : `${couponId} ${flowRates(flow).join(' ')}`;
    let batch = this.#batches.get(batchKey);
    if (batch === undefined) {
      batch = { couponId, flow, grabs: [] };
      this.#batches.set(batchKey, batch);
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(this.#flush);
      }
    }
    const grabs = batch.grabs;
    const outcome = new Promise<GrabOutcome>((resolve) =>
      grabs.push({ userId, grabId, traceparent, clientIp: flow?.clientIp ?? '', resolve }),
    );
    if (grabs.length >= this.#batchMax) {
      this.#batches.delete(batchKey);
      void this.#send(batch);
    }
    return outcome;
  }

  /** Sends every batch the turn of the event loop collected. */
  readonly #flush = (): void => {
    this.#flushScheduled = false;
    const batches = [...this.#batches.values()];
    this.#batches.clear();
    for (const batch of batches) void this.#send(batch);
  };

  /** Runs one batch's grab script and answers each of its grabs; never rejects. */
  async #send({ couponId, flow, grabs }: GrabBatch): Promise<void> {
    let command: { keys: string[]; args: Array<string | number>; attempt: string; sentAt: number };
    try {
      command = this.#command(couponId, flow, grabs);
    } catch {
      // Nothing was sent: nothing can have been taken.
      for (const grab of grabs) grab.resolve({ ok: false, refusal: 'UNAVAILABLE', nothingTaken: true });
      return;
    }
    const { keys, args, attempt, sentAt } = command;
    let reply: Array<string | number>;
    try {
      reply = (await this.#scripts.grab(keys, args)) as Array<string | number>;
    } catch {
      // Whatever failed — a timeout, a cut connection, an error inside the script — the grabs may
      // have run; only Redis can tell, for each.
      const giveUpAt = sentAt + this.#deadlineMs + FENCE_GRACE_MS;
      for (const grab of grabs)
        void this.#fence(grab.grabId, grab.userId, attempt, giveUpAt).then(grab.resolve, () =>
          grab.resolve({ ok: false, refusal: 'UNAVAILABLE', nothingTaken: false }),
        );
      return;
    }
    const answeredAt = performance.now();
    for (let i = 0; i < grabs.length; i++) {
      const grab = grabs[i] as PendingGrab;
      grab.resolve(
        outcomeOf(
          grab.grabId,
          reply[i * 4] as string,
          reply[i * 4 + 1] as number,
          reply[i * 4 + 2] as number,
          reply[i * 4 + 3] as number,
        ),
      );
    }
    const accepted = reply.indexOf('OK');
    if (accepted >= 0) this.#clock.observe(reply[accepted + 2] as number, sentAt, answeredAt);
  }

  /** The GRAB script's keys and arguments for a batch, with its attempt id and when it is sent. */
  #command(couponId: string, flow: GrabFlow | undefined, grabs: readonly PendingGrab[]) {
    const k = couponKeys(couponId);
    // One attempt id for the batch: the fence voids each grab's own record for it.
    const attempt = ulid();
    // Monotonic: the deadline and the fence must not move with this machine's wall clock.
    const sentAt = performance.now();
    const redisNow = this.#clock.toRedis(sentAt);
    if (redisNow === undefined) void this.#calibrate();
    const deadline = redisNow === undefined ? 0 : redisNow + this.#deadlineMs;
    const rates = flowRates(flow);
    const flowOn = rates.some((rate, i) => i % 2 === 0 && rate > 0);
    const keys = [k.meta, k.stock, k.holders, k.seqs, k.outbox, k.flowCoupon, k.queued];
    const args: Array<string | number> = [attempt, deadline, this.#outboxCap, ...rates];
    for (const grab of grabs) {
      keys.push(k.grab(grab.grabId));
      if (flowOn) keys.push(k.flowUser(grab.userId), k.flowIp(grab.clientIp));
      args.push(grab.userId, grab.grabId, grab.traceparent);
    }
    return { keys, args, attempt, sentAt };
  }

  /**
   * A first reading of the Redis clock, so even the first grabs carry a deadline. One at a time:
   * the burst of grabs at the start of a sale must not send one TIME each.
   */
  async #calibrate(): Promise<void> {
    if (this.#calibrating) return;
    this.#calibrating = true;
    const sentAt = performance.now();
    try {
      const [seconds, micros] = await this.#redis.time();
      this.#clock.observe(Number(seconds) * 1000 + Math.floor(Number(micros) / 1000), sentAt, performance.now());
    } catch {
      // The next grab tries again.
    } finally {
      this.#calibrating = false;
    }
  }

  /**
   * Settles an unanswered grab: asks Redis, on the same connection (after the grab, should it
   * still be queued there), whether the grab record exists, and voids it for this attempt if not.
   */
  async #fence(grabId: string, userId: string, attempt: string, giveUpAt: number): Promise<GrabOutcome> {
    const record = couponKeys(requireCoupon(grabId)).grab(grabId);
    const voidTtlMs = this.#deadlineMs + FENCE_GRACE_MS + 60_000;
    for (;;) {
      try {
        const [state, seq, acceptedAt] = (await this.#scripts.fence([record], [userId, attempt, voidTtlMs])) as [
          string,
          number,
          number,
        ];
        if (state === 'TAKEN') return { ok: true, grabId, seq, acceptedAt, stockLeft: undefined, replayed: true };
        return { ok: false, refusal: 'UNAVAILABLE', nothingTaken: true };
      } catch {
        if (performance.now() >= giveUpAt) return { ok: false, refusal: 'UNAVAILABLE', nothingTaken: false };
        await new Promise((resolve) => setTimeout(resolve, FENCE_RETRY_MS));
      }
    }
  }

  /**
   * Records the order of a QUEUED grab. `already`: a redelivery of a grab already marked with this
   * order; `refused`: the grab was compensated meanwhile (or is not this user's) — the order must
   * not stand. The record is kept `keepForMs` (at least the order's validity, so a cancel or an
   * expiry can still release its unit exactly once through it).
   */
  async succeed(grabId: string, userId: string, orderId: string, keepForMs = this.#ttlMs): Promise<SucceedOutcome> {
    const k = couponKeys(requireCoupon(grabId));
    const marked = await this.#scripts.succeed(
      [k.grab(grabId), k.queued, k.meta],
      [orderId, Math.max(keepForMs, this.#ttlMs), userId],
    );
    return marked === 1 ? 'marked' : marked === 0 ? 'already' : 'refused';
  }

  /**
   * Gives the unit and the user's slot back exactly once: a QUEUED grab whose order can never be
   * written (→ FAILED), or the grab of an order that was cancelled or expired (`from` SUCCEEDED;
   * also releases a record still QUEUED whose order was committed but not yet marked).
   */
  async release(
    grabId: string,
    userId: string,
    change: { from: 'QUEUED' | 'SUCCEEDED'; to: 'FAILED' | 'CANCELLED'; reason: string; orderId?: string },
  ): Promise<boolean> {
    const k = couponKeys(requireCoupon(grabId));
    const released = await this.#scripts.release(
      [k.stock, k.holders, k.grab(grabId), k.queued, k.meta],
      [userId, change.from, change.to, change.reason, change.orderId ?? '', this.#ttlMs],
    );
    return released === 1;
  }

  async record(grabId: string): Promise<GrabRecord | undefined> {
    const couponId = couponOfGrab(grabId);
    if (couponId === undefined) return undefined;
    const fields = await this.#redis.hgetall(couponKeys(couponId).grab(grabId));
    if (shownStatus(fields['status']) === undefined || fields['userId'] === undefined) return undefined;
    return {
      grabId,
      couponId,
      userId: fields['userId'],
      status: fields['status'] as GrabStatus,
      seq: Number(fields['seq']),
      acceptedAt: Number(fields['acceptedAt']),
      ...(fields['orderId'] === undefined ? {} : { orderId: fields['orderId'] }),
      ...(fields['reason'] === undefined || fields['reason'] === '' ? {} : { reason: fields['reason'] }),
    };
  }

  /** Only a grab's status (one HGET of one field); undefined for a grab there is nothing to show of. */
  async status(grabId: string): Promise<GrabStatus | undefined> {
    const couponId = couponOfGrab(grabId);
    if (couponId === undefined) return undefined;
    return shownStatus(await this.#redis.hget(couponKeys(couponId).grab(grabId), 'status'));
  }

  /** The per-user counters: coupons held now, and grabs ever accepted (sequence numbers). */
  async counters(couponId: string): Promise<{ holders: Map<string, number>; seqs: Map<string, number> }> {
    const k = couponKeys(couponId);
    const [holders, seqs] = await Promise.all([this.#redis.hgetall(k.holders), this.#redis.hgetall(k.seqs)]);
    const toMap = (h: Record<string, string>) => new Map(Object.entries(h).map(([u, n]) => [u, Number(n)]));
    return { holders: toMap(holders), seqs: toMap(seqs) };
  }

  /** Entries waiting in the coupon's outbox (published or not yet acknowledged). */
  async outboxLength(couponId: string): Promise<number> {
    return this.#redis.xlen(couponKeys(couponId).outbox);
  }

  /** Accepted grabs of the coupon whose order is neither written nor compensated yet. */
  async queuedCount(couponId: string): Promise<number> {
    return Number((await this.#redis.get(couponKeys(couponId).queued)) ?? 0);
  }

  /** Dead-lettered grabs of the coupon (they hold their unit until re-driven or compensated). */
  async deadLetters(couponId: string): Promise<Array<{ grabId: string; userId: string }>> {
    const entries = await this.#redis.hgetall(couponKeys(couponId).dead);
    return Object.entries(entries).map(([grabId, json]) => {
      let userId = '';
      try {
        const parsed = (JSON.parse(json) as { userId?: unknown }).userId;
        if (typeof parsed === 'string') userId = parsed;
      } catch {
        // unreadable: counted for the coupon, not for a user
      }
      return { grabId, userId };
    });
  }

  /**
   * Holds the coupon's grabs for `ms` (answered PAUSED) and returns the version of its state, or
   * undefined when it has none. `ms` 0 lifts the pause.
   */
  async pause(couponId: string, ms: number): Promise<number | undefined> {
    const [version] = (await this.#scripts.pause([couponKeys(couponId).meta], [ms])) as [number, number];
    return version < 0 ? undefined : version;
  }

  /**
   * Replaces the sale state with one rebuilt elsewhere (from the orders in MySQL): settings,
   * units left, and per user the coupons held and the highest sequence number used — only if
   * nothing changed the state since `expectedVersion` was read (see `pause`). Lifts the pause.
   * False when the state changed meanwhile.
   */
  async restore(
    couponId: string,
    s: SaleSettings,
    state: { stockLeft: number; users: ReadonlyArray<{ userId: string; held: number; seq: number }> },
    expectedVersion: number | undefined,
  ): Promise<boolean> {
    const k = couponKeys(couponId);
    await this.#redis.sadd(this.#registry, couponId);
    const restored = await this.#scripts.restore(
      [k.meta, k.stock, k.holders, k.seqs],
      [
        expectedVersion ?? -1,
        s.status,
        s.type,
        s.perUserLimit,
        s.startMs,
        s.endMs,
        s.totalStock,
        state.stockLeft,
        state.users.length,
        ...state.users.flatMap((u) => [u.userId, u.held, u.seq]),
      ],
    );
    return restored === 1;
  }

  /** Units left, or undefined when the coupon has no sale state (not preheated). */
  async stockLeft(couponId: string): Promise<number | undefined> {
    const value = await this.#redis.get(couponKeys(couponId).stock);
    return value === null ? undefined : Number(value);
  }

  /**
   * Drops a coupon's sale state (the coupon is being deleted), unless accepted grabs are still on
   * their way to becoming orders: then nothing is removed and `busy` says what is in flight.
   */
  async remove(
    couponId: string,
  ): Promise<{ readonly removed: true } | { readonly busy: { outbox: number; queued: number; deadLetters: number } }> {
    const k = couponKeys(couponId);
    const [outcome, outbox, queued, deadLetters] = (await this.#scripts.remove(
      [k.meta, k.stock, k.holders, k.seqs, k.outbox, k.queued, k.dead],
      [],
    )) as [string, number, number, number];
    if (outcome === 'BUSY') return { busy: { outbox, queued, deadLetters } };
    await this.#redis.srem(this.#registry, couponId);
    return { removed: true };
  }
}

/** A record's status as its owner may see it: a VOID record stands for an attempt that took nothing. */
function shownStatus(status: string | null | undefined): GrabStatus | undefined {
  return status === null || status === undefined || status === 'VOID' ? undefined : (status as GrabStatus);
}

function requireCoupon(grabId: string): string {
  const couponId = couponOfGrab(grabId);
  if (couponId === undefined) throw new Error(`not a grab id: ${grabId}`);
  return couponId;
}
