import { type EventProducer, grabAccepted, newEvent, TOPICS } from '@couponkill/events';
import type { Logger } from '@couponkill/logging';
import type { RedisClient } from '@couponkill/redis';
import { couponKeys, OUTBOX_REGISTRY } from '@couponkill/sale';

const GROUP = 'outbox-relay';

export interface RelayOptions {
  readonly redis: RedisClient;
  readonly producer: EventProducer;
  readonly logger: Logger;
  /** This instance's consumer name in the streams' group (stable across restarts of one pod). */
  readonly consumer: string;
  readonly batchSize: number;
  /** Pause when every outbox was empty. */
  readonly idleMs: number;
  /** Entries another consumer left pending this long are taken over (it died). */
  readonly claimIdleMs: number;
  readonly topic?: string;
  /** The set of coupons with an outbox (see Sale's `outboxRegistry`). */
  readonly registry?: string;
}

type StreamEntry = [id: string, fields: string[]];

export interface RelayStats {
  published: number;
  failures: number;
  lastError: string | undefined;
}

/**
 * Moves accepted grabs from each coupon's Redis outbox stream to Kafka. An entry is acknowledged
 * (and deleted) only after Kafka acknowledged its event with acks=-1, so nothing is lost when
 * Kafka or this process goes down: unacknowledged entries stay pending and are sent again —
 * after a restart from this consumer's pending list, after a crash by whoever claims them.
 * Duplicates are possible in that window; the order worker is idempotent on the grab id.
 */
export class OutboxRelay {
  readonly #o: RelayOptions;
  readonly #groups = new Set<string>();
  readonly stats: RelayStats = { published: 0, failures: 0, lastError: undefined };
  #running = false;
  #stopped: Promise<void> | undefined;

  constructor(options: RelayOptions) {
    this.#o = options;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#stopped = this.#loop();
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#stopped;
  }

  /** Entries waiting in every outbox (published but unacknowledged ones included). */
  async backlog(): Promise<number> {
    const coupons = await this.#o.redis.smembers(this.#o.registry ?? OUTBOX_REGISTRY);
    const lengths = await Promise.all(coupons.map((c) => this.#o.redis.xlen(couponKeys(c).outbox)));
    return lengths.reduce((a, b) => a + b, 0);
  }

  async #loop(): Promise<void> {
    let backoffMs = 0;
    let lastClaim = 0;
    while (this.#running) {
      try {
        const claim = Date.now() - lastClaim > this.#o.claimIdleMs / 2;
        if (claim) lastClaim = Date.now();
        const moved = await this.relayOnce(claim);
        backoffMs = 0;
        if (moved === 0) await sleep(this.#o.idleMs);
      } catch (err) {
        this.stats.failures += 1;
        this.stats.lastError = (err as Error).message;
        backoffMs = Math.min(2000, backoffMs === 0 ? 100 : backoffMs * 2);
        this.#o.logger.warn({ err, backoffMs }, 'outbox relay round failed; entries stay in Redis');
        await sleep(backoffMs);
        // A fresh producer after a failure: kafkajs can hang on its old connections and producer id.
        await this.#o.producer
          .reset()
          .catch((resetErr: unknown) => this.#o.logger.warn({ err: resetErr }, 'producer reset failed'));
      }
    }
  }

  /** One pass over every outbox; returns how many entries were published. */
  async relayOnce(claimAbandoned = false): Promise<number> {
    const coupons = await this.#o.redis.smembers(this.#o.registry ?? OUTBOX_REGISTRY);
    let moved = 0;
    for (const couponId of coupons) {
      try {
        moved += await this.#relayCoupon(couponId, claimAbandoned);
      } catch (err) {
        // The stream (and its group) vanished under us, e.g. Redis lost its data and the sale
        // state was rebuilt: create the group again next round instead of failing every round.
        if (!String((err as Error).message).includes('NOGROUP')) throw err;
        this.#groups.delete(couponKeys(couponId).outbox);
      }
    }
    return moved;
  }

  async #relayCoupon(couponId: string, claimAbandoned: boolean): Promise<number> {
    const stream = couponKeys(couponId).outbox;
    await this.#ensureGroup(stream);
    let moved = 0;
    // Our own pending entries first (sent before a crash or a Kafka failure), then new ones.
    for (const from of ['0', '>']) {
      const entries = await this.#read(stream, from);
      if (entries.length > 0) moved += await this.#publish(couponId, stream, entries);
    }
    if (claimAbandoned) {
      const [, claimed] = (await this.#o.redis.xautoclaim(
        stream,
        GROUP,
        this.#o.consumer,
        this.#o.claimIdleMs,
        '0',
        'COUNT',
        this.#o.batchSize,
      )) as [string, StreamEntry[]];
      if (claimed.length > 0) moved += await this.#publish(couponId, stream, claimed);
    }
    return moved;
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

  async #read(stream: string, from: string): Promise<StreamEntry[]> {
    const reply = (await this.#o.redis.xreadgroup(
      'GROUP',
      GROUP,
      this.#o.consumer,
      'COUNT',
      this.#o.batchSize,
      'STREAMS',
      stream,
      from,
    )) as Array<[string, StreamEntry[]]> | null;
    // A pending entry that was deleted meanwhile comes back with null fields; skip it.
    return (reply?.[0]?.[1] ?? []).filter(([, fields]) => Array.isArray(fields));
  }

  async #publish(couponId: string, stream: string, entries: StreamEntry[]): Promise<number> {
    const events = entries.map(([, fields]) => {
      const f = Object.fromEntries(pairs(fields));
      const data = {
        grabId: String(f['grabId']),
        couponId,
        userId: String(f['userId']),
        seq: Number(f['seq']),
        acceptedAt: Number(f['acceptedAt']),
      };
      const traceparent = f['traceparent'];
      const event = newEvent(grabAccepted, {
        id: data.grabId,
        source: '/couponkill/outbox-relay',
        subject: couponId,
        data,
        ...(traceparent === undefined ? {} : { traceparent }),
      });
      // Keyed by user: a hot coupon still spreads over every partition, and one user's events stay in order.
      return { event, key: data.userId };
    });
    await this.#o.producer.send(this.#o.topic ?? TOPICS.grabAccepted, events);
    const ids = entries.map(([id]) => id);
    await this.#o.redis.xack(stream, GROUP, ...ids);
    await this.#o.redis.xdel(stream, ...ids);
    this.stats.published += entries.length;
    return entries.length;
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
