import { type EventData, grabAccepted } from '@couponkill/events';
import { locateUser, type OrderSharding, type OrderStore } from '@couponkill/orders';
import type { RedisClient } from '@couponkill/redis';
import { couponKeys, couponOfGrab, type Sale } from '@couponkill/sale';
import type { OrderOutcome } from './writer.js';

/** A dead letter keeps this much of its error message: enough to tell the cause, bounded in Redis. */
const MAX_REASON_CHARS = 1000;
/** Dead letters read per HSCAN round trip. */
const SCAN_COUNT = 500;

type GrabAcceptedData = EventData<typeof grabAccepted>;

/** The reason a dead-lettered grab is FAILED with when it is compensated. */
export const DEAD_LETTERED = 'DEAD_LETTERED';

/** One dead-lettered grab: its `grab.accepted` data, why it was given up, and when (epoch ms). */
export interface DeadLetter extends GrabAcceptedData {
  readonly reason: string;
  readonly deadLetteredAt: number;
}

/**
 * The per-coupon index of grabs whose event the order worker never took (hash
 * `couponKeys(id).dead`, grabId → JSON of a DeadLetter). A dead-lettered grab is in neither the
 * outbox nor the consumer lag, so this index is what still shows its unit as held until it is
 * re-driven. Writing the same grab again only refreshes its entry.
 */
export class DeadLetterIndex {
  readonly #redis: RedisClient;

  constructor(redis: RedisClient) {
    this.#redis = redis;
  }

  async record(grab: GrabAcceptedData, reason: string, at: number = Date.now()): Promise<void> {
    const letter: DeadLetter = { ...grab, reason: reason.slice(0, MAX_REASON_CHARS), deadLetteredAt: at };
    await this.#redis.hset(couponKeys(grab.couponId).dead, grab.grabId, JSON.stringify(letter));
  }

  /**
   * The coupon's dead letters; entries that are not a readable grab (an outbox entry the relay
   * could not read, kept with its raw fields) are returned apart, by their field name.
   */
  async list(couponId: string): Promise<{ grabs: DeadLetter[]; unreadable: string[] }> {
    const grabs: DeadLetter[] = [];
    const unreadable: string[] = [];
    const key = couponKeys(couponId).dead;
    let cursor = '0';
    do {
      const [next, flat] = await this.#redis.hscan(key, cursor, 'COUNT', SCAN_COUNT);
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const field = flat[i] as string;
        const letter = parseLetter(couponId, field, flat[i + 1] as string);
        if (letter === undefined) unreadable.push(field);
        else grabs.push(letter);
      }
      cursor = next;
    } while (cursor !== '0');
    return { grabs, unreadable };
  }

  async remove(couponId: string, grabId: string): Promise<void> {
    await this.#redis.hdel(couponKeys(couponId).dead, grabId);
  }
}

function parseLetter(couponId: string, field: string, value: string): DeadLetter | undefined {
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null) return undefined;
  const { reason, deadLetteredAt, ...data } = json as Record<string, unknown>;
  const parsed = grabAccepted.schema.safeParse(data);
  if (!parsed.success || parsed.data.grabId !== field || parsed.data.couponId !== couponId) return undefined;
  if (couponOfGrab(field) !== couponId) return undefined;
  return {
    ...parsed.data,
    reason: typeof reason === 'string' ? reason : '',
    deadLetteredAt: typeof deadLetteredAt === 'number' ? deadLetteredAt : 0,
  };
}

export type RedriveMode = 'replay' | 'compensate';

export interface RedriveDeps {
  readonly index: DeadLetterIndex;
  readonly sale: Sale;
  /** Delivers the grab to the order writer again (the same path the KafkaSource's deliveries take). */
  readonly replay: (grab: GrabAcceptedData) => Promise<OrderOutcome>;
  /** The order written for the grab, if any (a dead letter may come after the order's commit). */
  readonly orderOf: (grab: GrabAcceptedData) => Promise<string | undefined>;
}

export interface RedriveReport {
  readonly couponId: string;
  readonly mode: RedriveMode;
  /** Grabs that are orders now (replayed, or found already written). */
  readonly ordered: number;
  /** Grabs compensated here (FAILED with DEAD_LETTERED) or by the writer (FAILED with its reason). */
  readonly failed: number;
  /** Grabs that had been settled otherwise meanwhile (cancelled, failed): only their entry was removed. */
  readonly alreadySettled: number;
  /** Grabs left in the index, with why (the next run tries them again). */
  readonly kept: ReadonlyArray<{ readonly grabId: string; readonly error: string }>;
  /** Entries that are no readable grab; left for a person to look at. */
  readonly unreadable: readonly string[];
}

/**
 * Re-drives every dead-lettered grab of a coupon, then removes it from the index. `replay`
 * writes its order (or lets the writer compensate it); `compensate` gives its unit and the
 * user's slot back and marks it FAILED (DEAD_LETTERED) — unless its order was written after all,
 * which then stands. Each step is idempotent, so a run that stopped half-way is simply rerun.
 */
export async function redriveCoupon(deps: RedriveDeps, couponId: string, mode: RedriveMode): Promise<RedriveReport> {
  const { grabs, unreadable } = await deps.index.list(couponId);
  let ordered = 0;
  let failed = 0;
  let alreadySettled = 0;
  const kept: Array<{ grabId: string; error: string }> = [];
  for (const grab of grabs) {
    try {
      const settled = await settle(deps, grab, mode);
      if (settled === 'KEPT') {
        kept.push({ grabId: grab.grabId, error: 'its grab record is missing or belongs to another user' });
        continue;
      }
      if (settled === 'ORDERED') ordered += 1;
      else if (settled === 'FAILED') failed += 1;
      else alreadySettled += 1;
      await deps.index.remove(couponId, grab.grabId);
    } catch (err) {
      kept.push({ grabId: grab.grabId, error: (err as Error).message });
    }
  }
  return { couponId, mode, ordered, failed, alreadySettled, kept, unreadable };
}

async function settle(
  deps: RedriveDeps,
  letter: DeadLetter,
  mode: RedriveMode,
): Promise<'ORDERED' | 'FAILED' | 'SETTLED' | 'KEPT'> {
  const { reason: _reason, deadLetteredAt: _at, ...grab } = letter;
  const settledOtherwise = async () => {
    const record = await deps.sale.record(grab.grabId);
    return record !== undefined && record.status !== 'QUEUED';
  };
  // Cancelled, failed or ordered meanwhile: writing an order now would take its unit twice.
  if (await settledOtherwise()) return 'SETTLED';
  // An order that exists stands: replaying finds it and marks the grab SUCCEEDED.
  if (mode === 'replay' || (await deps.orderOf(grab)) !== undefined) {
    return (await deps.replay(grab)).status === 'SUCCEEDED' ? 'ORDERED' : 'FAILED';
  }
  if (await deps.sale.release(grab.grabId, grab.userId, { from: 'QUEUED', to: 'FAILED', reason: DEAD_LETTERED })) {
    return 'FAILED';
  }
  return (await settledOtherwise()) ? 'SETTLED' : 'KEPT';
}

/** Looks up the order of a grab in its user's shard (the grab id is unique per table). */
export function orderLookup(orders: OrderStore, sharding: OrderSharding) {
  const pools = orders.namedPools().map(([, pool]) => pool);
  return async (grab: GrabAcceptedData): Promise<string | undefined> => {
    const where = locateUser(grab.userId, sharding);
    const pool = pools[where.database];
    if (pool === undefined) throw new Error('no order databases configured');
    const [rows] = (await pool.query(`SELECT id FROM ${where.table} WHERE grab_id = ?`, [grab.grabId])) as unknown as [
      Array<{ id: string }>,
    ];
    return rows[0]?.id;
  };
}
