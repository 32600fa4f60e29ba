import type { RedisClient } from '@couponkill/redis';
import { uniqueName } from '@couponkill/testkit';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { couponKeys, type GrabOutcome, Sale, type SaleSettings } from '../src/index.js';
import { closeSale, openSale } from './redis-sale.js';

// Grabs made in one turn of the event loop go to Redis as one script run. A batch must decide
// exactly what the same grabs sent one by one, in the same order, would have decided.
describe('grabs sent as one batch', () => {
  let redis: RedisClient;
  const registry = `ck:outboxes:${uniqueName('batch')}`;
  const coupons: string[] = [];

  beforeAll(() => {
    ({ redis } = openSale('batch-test', registry));
  });
  afterAll(() => closeSale(redis, registry, coupons));

  async function coupon(on: Sale, totalStock: number, perUserLimit: number): Promise<string> {
    const id = ulid();
    coupons.push(id);
    const settings: SaleSettings = { status: 'active', type: 'normal', perUserLimit, startMs: 0, endMs: 0, totalStock };
    expect(await on.preheat(id, settings, async () => 0)).toEqual({ stockLeft: totalStock });
    return id;
  }

  type Command = Parameters<RedisClient['sendCommand']>[0];
  type Rest = Parameters<RedisClient['sendCommand']> extends [unknown, ...infer R] ? R : never;

  /** Counts the script runs (EVALSHA, or EVAL the first time on a connection) this client sends. */
  function countScriptRuns(): { readonly runs: () => number; readonly restore: () => void } {
    let runs = 0;
    const send = redis.sendCommand.bind(redis);
    const spy = vi.spyOn(redis, 'sendCommand').mockImplementation((command: Command, ...rest: Rest) => {
      if (command.name === 'evalsha' || command.name === 'eval') runs++;
      return send(command, ...rest);
    });
    return { runs: () => runs, restore: () => spy.mockRestore() };
  }

  const outcomeName = (o: GrabOutcome) => (o.ok ? (o.replayed ? 'EXISTING' : 'OK') : o.refusal);

  it('never sells more than the stock nor more than the limit, with one script run per batch', async () => {
    const sale = new Sale(redis, { outboxRegistry: registry, grabBatchMax: 64 });
    const id = await coupon(sale, 150, 2);
    const counter = countScriptRuns();
    let outcomes: GrabOutcome[];
    try {
      // 400 grabs by 100 users (4 each) in one turn: 7 batches of at most 64.
      outcomes = await Promise.all(Array.from({ length: 400 }, (_, i) => sale.grab(id, `u${i % 100}`)));
      expect(counter.runs()).toBe(Math.ceil(400 / 64));
    } finally {
      counter.restore();
    }
    const accepted = outcomes.filter((o) => o.ok);
    expect(accepted).toHaveLength(150);
    // Each user's accepted grabs carry sequence numbers 1, 2, … and stay within the limit.
    const seqsByUser = new Map<string, number[]>();
    outcomes.forEach((o, i) => {
      if (o.ok) seqsByUser.set(`u${i % 100}`, [...(seqsByUser.get(`u${i % 100}`) ?? []), o.seq]);
    });
    for (const seqs of seqsByUser.values()) {
      expect(seqs.length).toBeLessThanOrEqual(2);
      expect(seqs.sort()).toEqual(Array.from({ length: seqs.length }, (_, j) => j + 1));
    }
    // Those refused were refused for the limit (a user's third and fourth) or the stock.
    expect(new Set(outcomes.filter((o) => !o.ok).map(outcomeName))).toEqual(new Set(['LIMIT_REACHED', 'SOLD_OUT']));
    // The books: stock, holders, outbox, queued count and each user's sequence numbers agree.
    const k = couponKeys(id);
    expect(await sale.stockLeft(id)).toBe(0);
    expect(await redis.xlen(k.outbox)).toBe(150);
    expect(await sale.queuedCount(id)).toBe(150);
    const { holders, seqs } = await sale.counters(id);
    expect([...holders.values()].reduce((a, b) => a + b, 0)).toBe(150);
    expect(seqs).toEqual(holders);
    // Stock left as each grab saw it counts down one by one across the batches.
    const left = accepted.map((o) => (o.ok ? o.stockLeft : -1)).sort((a, b) => (a ?? 0) - (b ?? 0));
    expect(left).toEqual(Array.from({ length: 150 }, (_, j) => j));
  });

  it('answers a retry inside the same batch from the first one: one unit, the same grab id', async () => {
    const sale = new Sale(redis, { outboxRegistry: registry });
    const id = await coupon(sale, 10, 5);
    const [first, retry, other] = await Promise.all([
      sale.grab(id, 'alice', '', undefined, 'key-1'),
      sale.grab(id, 'alice', '', undefined, 'key-1'),
      sale.grab(id, 'alice', '', undefined, 'key-2'),
    ]);
    expect(first).toMatchObject({ ok: true, seq: 1, replayed: false });
    expect(retry).toMatchObject({ ok: true, seq: 1, replayed: true, grabId: first?.ok ? first.grabId : '' });
    expect(other).toMatchObject({ ok: true, seq: 2, replayed: false });
    expect(await sale.stockLeft(id)).toBe(8);
    expect(await redis.xlen(couponKeys(id).outbox)).toBe(2);
  });

  it('sends at most grabBatchMax grabs per run, and a lone grab on its own', async () => {
    const sale = new Sale(redis, { outboxRegistry: registry, grabBatchMax: 3 });
    const id = await coupon(sale, 100, 100);
    const counter = countScriptRuns();
    try {
      const outcomes = await Promise.all(Array.from({ length: 10 }, () => sale.grab(id, 'bob')));
      expect(outcomes.map((o) => (o.ok ? o.seq : 0)).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(counter.runs()).toBe(4);
      expect(await sale.grab(id, 'bob')).toMatchObject({ ok: true, seq: 11 });
      expect(counter.runs()).toBe(5);
    } finally {
      counter.restore();
    }
  });

  it('keeps each grab its own client address bucket, and grabs under other rules in a batch of their own', async () => {
    const sale = new Sale(redis, { outboxRegistry: registry });
    const id = await coupon(sale, 100, 100);
    const perIp = { ratePerSecond: 1, burst: 1 };
    const counter = countScriptRuns();
    let outcomes: GrabOutcome[];
    try {
      outcomes = await Promise.all([
        sale.grab(id, 'carol', '', { clientIp: '10.0.0.1', ip: perIp }),
        sale.grab(id, 'dave', '', { clientIp: '10.0.0.2', ip: perIp }),
        sale.grab(id, 'erin', '', { clientIp: '10.0.0.1', ip: perIp }),
        // No rule: not limited by the address buckets above, and sent in a batch of its own.
        sale.grab(id, 'frank', '', undefined),
      ]);
      expect(counter.runs()).toBe(2);
    } finally {
      counter.restore();
    }
    expect(outcomes.map(outcomeName)).toEqual(['OK', 'OK', 'RATE_LIMITED', 'OK']);
    expect(await sale.stockLeft(id)).toBe(97);
  });

  it('answers every grab of a batch sent to a coupon that is not on sale, and takes nothing', async () => {
    const sale = new Sale(redis, { outboxRegistry: registry });
    const id = await coupon(sale, 5, 5);
    await sale.pause(id, 60_000);
    const outcomes = await Promise.all(Array.from({ length: 5 }, (_, i) => sale.grab(id, `p${i}`)));
    expect(outcomes.map(outcomeName)).toEqual(Array.from({ length: 5 }, () => 'PAUSED'));
    const unknown = ulid();
    const nowhere = await Promise.all([sale.grab(unknown, 'x'), sale.grab(unknown, 'y')]);
    expect(nowhere.map(outcomeName)).toEqual(['NOT_FOUND', 'NOT_FOUND']);
    expect(await sale.stockLeft(id)).toBe(5);
  });

  it('keeps the books whole when the script fails partway through a batch', async () => {
    const sale = new Sale(redis, { outboxRegistry: registry, grabDeadlineMs: 500 });
    const id = await coupon(sale, 10, 5);
    const k = couponKeys(id);
    // A corrupt holder count makes the script raise an error at the second grab of the batch.
    await redis.hset(k.holders, 'broken', 'not a number');
    const outcomes = await Promise.all([sale.grab(id, 'first'), sale.grab(id, 'broken'), sale.grab(id, 'third')]);
    // Redis keeps what ran before the error: the first grab is whole, and the fence finds it.
    expect(outcomes.map(outcomeName)).toEqual(['EXISTING', 'UNAVAILABLE', 'UNAVAILABLE']);
    expect(outcomes.slice(1)).toEqual([
      { ok: false, refusal: 'UNAVAILABLE', nothingTaken: true },
      { ok: false, refusal: 'UNAVAILABLE', nothingTaken: true },
    ]);
    expect(await sale.stockLeft(id)).toBe(9);
    expect(await sale.queuedCount(id)).toBe(1);
    expect(await redis.xlen(k.outbox)).toBe(1);
    expect((await sale.counters(id)).holders.get('first')).toBe(1);
  });
});
