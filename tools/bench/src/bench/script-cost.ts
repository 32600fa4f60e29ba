import type { RedisClient } from '@couponkill/redis';
import type { GrabFlow, Sale } from '@couponkill/sale';
import { ulid } from 'ulid';

export interface ScriptCost {
  /** Redis CPU per grab script (INFO commandstats), µs. */
  readonly usecPerGrab: number;
  readonly calls: number;
}

/**
 * Redis's own time per grab script, with and without flow buckets, from `INFO commandstats`:
 * the cost the buckets add where it matters (the shard of a hot coupon), free of the load
 * generator's and the HTTP server's noise. Nothing else may run EVALSHA on this Redis meanwhile.
 */
export async function benchScriptCost(
  redis: RedisClient,
  sale: Sale,
  grabs: number,
): Promise<{ readonly plain: ScriptCost; readonly flow: ScriptCost }> {
  const everyBucket = (i: number): GrabFlow => ({
    clientIp: `10.0.${(i >> 8) & 255}.${i & 255}`,
    coupon: { ratePerSecond: 1_000_000, burst: 1_000_000 },
    user: { ratePerSecond: 1000, burst: 1000 },
    ip: { ratePerSecond: 1_000_000, burst: 1_000_000 },
  });
  const measure = async (flow: (i: number) => GrabFlow | undefined): Promise<ScriptCost> => {
    const couponId = ulid();
    await sale.preheat(
      couponId,
      {
        status: 'active',
        type: 'normal',
        perUserLimit: 10_000,
        startMs: 0,
        endMs: 0,
        totalStock: 10_000_000,
      },
      async () => 0,
    );
    const run = async (from: number, count: number) => {
      for (let i = from; i < from + count; i += 100) {
        await Promise.all(
          Array.from({ length: 100 }, (_, j) => sale.grab(couponId, `u${(i + j) % 5000}`, '', flow(i + j))),
        );
      }
    };
    await run(0, 2000); // warm-up (script load, JIT)
    const before = await evalshaStats(redis);
    await run(2000, grabs);
    const after = await evalshaStats(redis);
    const calls = after.calls - before.calls;
    return { calls, usecPerGrab: (after.usec - before.usec) / calls };
  };
  // Alternated, so a neighbour's burst of load does not land on one side only.
  const plain: ScriptCost[] = [];
  const flow: ScriptCost[] = [];
  for (let round = 0; round < 3; round++) {
    plain.push(await measure(() => undefined));
    flow.push(await measure(everyBucket));
  }
  return { plain: median(plain), flow: median(flow) };
}

async function evalshaStats(redis: RedisClient): Promise<{ calls: number; usec: number }> {
  const m = /cmdstat_evalsha:calls=(\d+),usec=(\d+)/.exec(await redis.info('commandstats'));
  return { calls: Number(m?.[1] ?? 0), usec: Number(m?.[2] ?? 0) };
}

function median(costs: ScriptCost[]): ScriptCost {
  return [...costs].sort((a, b) => a.usecPerGrab - b.usecPerGrab)[Math.floor(costs.length / 2)] as ScriptCost;
}
