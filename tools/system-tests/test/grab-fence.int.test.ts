import { assertNoEviction, createRedis, type RedisClient, redisOptionsSchema } from '@couponkill/redis';
import { couponKeys, Sale, type GrabOutcome } from '@couponkill/sale';
import { uniqueName } from '@couponkill/testkit';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeStateDir, type RunningServer, startRedis } from '@couponkill/servers';

// The grab under a Redis that stalls, drops connections or gets a command twice. A Redis of its
// own: CLIENT PAUSE and CLIENT KILL would stall the other tests' shared server.
describe('the grab when Redis does not answer', () => {
  const profile = uniqueName('grab-fence');
  let server: RunningServer<string>;
  let admin: RedisClient;
  const clients: RedisClient[] = [];

  beforeAll(async () => {
    server = await startRedis({ profile });
    admin = client(5000);
  }, 60_000);
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await server.process?.stop();
    removeStateDir(profile);
  });

  function client(commandTimeoutMs: number): RedisClient {
    const redis = createRedis(redisOptionsSchema.parse({ url: server.endpoint, commandTimeoutMs }), 'fence-test');
    clients.push(redis);
    return redis;
  }

  async function coupon(sale: Sale, stock: number, perUserLimit = 100): Promise<string> {
    const id = ulid();
    await sale.preheat(
      id,
      { status: 'active', type: 'normal', perUserLimit, startMs: 0, endMs: 0, totalStock: stock },
      async () => 0,
    );
    return id;
  }

  /** Units taken, from Redis itself: what the books say, whatever the answers said. */
  async function taken(id: string, stock: number): Promise<number> {
    return stock - Number(await admin.get(couponKeys(id).stock));
  }

  /** Every answer must agree with the books: ok ⇒ its record exists; nothing taken ⇒ no record. */
  async function expectTruthful(id: string, outcomes: GrabOutcome[], stock: number): Promise<void> {
    const accepted = outcomes.filter((o) => o.ok);
    for (const o of accepted) {
      const record = await admin.hget(couponKeys(id).grab(o.grabId), 'status');
      expect(record).toBe('QUEUED');
    }
    expect(outcomes.every((o) => o.ok || o.refusal !== 'UNAVAILABLE' || o.nothingTaken)).toBe(true);
    expect(await taken(id, stock)).toBe(new Set(accepted.map((o) => (o.ok ? o.grabId : ''))).size);
    expect(Number(await admin.xlen(couponKeys(id).outbox))).toBe(await taken(id, stock));
  }

  it('the Redis client never resends a command after a reconnect', () => {
    const redis = client(1000);
    expect((redis as unknown as { options: { autoResendUnfulfilledCommands: boolean } }).options).toMatchObject({
      autoResendUnfulfilledCommands: false,
    });
  });

  it('refuses a Redis that may evict sale keys', async () => {
    const redis = client(1000);
    await admin.config('SET', 'maxmemory-policy', 'volatile-lru');
    try {
      await expect(assertNoEviction(redis)).rejects.toThrow(/maxmemory-policy volatile-lru/);
    } finally {
      await admin.config('SET', 'maxmemory-policy', 'noeviction');
    }
    expect(await assertNoEviction(redis)).toBe('noeviction');
  });

  it('one Idempotency-Key takes one unit, also when twenty retries race', async () => {
    const sale = new Sale(client(2000));
    const id = await coupon(sale, 100);
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => sale.grab(id, 'alice', '', undefined, 'k-1')));
    const ids = new Set(outcomes.map((o) => (o.ok ? o.grabId : 'refused')));
    expect(ids.size).toBe(1);
    expect(outcomes.filter((o) => o.ok && !o.replayed)).toHaveLength(1);
    expect(await taken(id, 100)).toBe(1);
    // Another key of the same user is another grab; the same key of another user is not hers.
    expect(await sale.grab(id, 'alice', '', undefined, 'k-2')).toMatchObject({ ok: true, replayed: false });
    expect(await sale.grab(id, 'bob', '', undefined, 'k-1')).toMatchObject({ ok: true, replayed: false });
    expect(await taken(id, 100)).toBe(3);
  });

  it('a grab command that reaches Redis twice takes one unit (the resend after a reconnect)', async () => {
    const sale = new Sale(client(2000));
    const id = await coupon(sale, 10);
    const first = await sale.grab(id, 'carol', '', undefined, 'same-command');
    const again = await sale.grab(id, 'carol', '', undefined, 'same-command');
    expect(first).toMatchObject({ ok: true, replayed: false });
    expect(again).toMatchObject({ ok: true, replayed: true, grabId: first.ok ? first.grabId : '' });
    expect(await taken(id, 10)).toBe(1);
    expect(await admin.get(couponKeys(id).queued)).toBe('1');
  });

  it('a stall shorter than the deadline: every grab is answered 202 and taken, or 503 and not taken', async () => {
    const sale = new Sale(client(300), { grabDeadlineMs: 4000 });
    const id = await coupon(sale, 30, 1);
    const warm = await sale.grab(id, 'warm-up-clock');
    await admin.client('PAUSE', 1500, 'ALL');
    const outcomes = await Promise.all(Array.from({ length: 60 }, (_, i) => sale.grab(id, `u${i}`)));
    // The grabs ran when the pause ended; each answer came from the fence that followed it.
    expect(outcomes.filter((o) => o.ok)).toHaveLength(29);
    expect(outcomes.filter((o) => !o.ok && o.refusal === 'UNAVAILABLE' && o.nothingTaken)).toHaveLength(31);
    await expectTruthful(id, [warm, ...outcomes], 30);
  });

  it('a stall longer than the deadline: unanswered grabs take nothing and say so', async () => {
    const sale = new Sale(client(200), { grabDeadlineMs: 700 });
    const id = await coupon(sale, 50);
    const warm = await sale.grab(id, 'warm-up-clock');
    await admin.client('PAUSE', 2000, 'ALL');
    const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => sale.grab(id, `late${i}`)));
    expect(outcomes.every((o) => !o.ok && o.refusal === 'UNAVAILABLE' && o.nothingTaken)).toBe(true);
    // The commands did reach Redis after the pause; past their deadline they took nothing.
    expect(await taken(id, 50)).toBe(1);
    await expectTruthful(id, [warm, ...outcomes], 50);
  });

  it('a connection cut while the grab waits: the fence on a new connection settles it', async () => {
    const redis = client(300);
    const sale = new Sale(redis, { grabDeadlineMs: 3000 });
    const id = await coupon(sale, 10);
    const warm = await sale.grab(id, 'warm-up-clock');
    const myId = Number(await redis.client('ID'));
    // WRITE: scripts wait, CLIENT KILL does not.
    await admin.client('PAUSE', 800, 'WRITE');
    const pending = Promise.all(
      Array.from({ length: 5 }, (_, i) => sale.grab(id, `cut${i}`, '', undefined, `key-${i}`)),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Killed while its commands sit unexecuted on the paused server: they are dropped with it.
    await admin.client('KILL', 'ID', myId);
    const outcomes = await pending;
    await expectTruthful(id, [warm, ...outcomes], 10);
    // A retry with the same key after "nothing was taken" takes its unit now, exactly once.
    const retries = await Promise.all(
      Array.from({ length: 5 }, (_, i) => sale.grab(id, `cut${i}`, '', undefined, `key-${i}`)),
    );
    expect(retries.every((o) => o.ok)).toBe(true);
    expect(await taken(id, 10)).toBe(6);
  });
});
