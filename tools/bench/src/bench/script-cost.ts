import type { RedisClient } from '@couponkill/redis';
import { type GrabFlow, Sale } from '@couponkill/sale';
import { ulid } from 'ulid';

export interface ScriptCost {
  /** Redis CPU per grab (INFO commandstats: the grab script's time over the grabs it decided), µs. */
  readonly usecPerGrab: number;
  /** Grabs decided, and the script runs that decided them. */
  readonly grabs: number;
  readonly calls: number;
}

/**
 * Redis's own time per grab, from `INFO commandstats`: one grab per script run without and with
 * flow buckets (what the buckets add), and grabs in batches as the grab function sends them under
 * load (what batching saves), where it matters (the shard of a hot coupon), free of the load
 * generator's and the HTTP server's noise. Nothing else may run EVALSHA on this Redis meanwhile.
 */
export async function benchScriptCost(
  redis: RedisClient,
  grabs: number,
): Promise<{ readonly plain: ScriptCost; readonly flow: ScriptCost; readonly batched: ScriptCost }> {
  const single = new Sale(redis, { grabBatchMax: 1 });
  const batching = new Sale(redis);
  const everyBucket = (i: number): GrabFlow => ({
    clientIp: `10.0.${(i >> 8) & 255}.${i & 255}`,
    coupon: { ratePerSecond: 1_000_000, burst: 1_000_000 },
    user: { ratePerSecond: 1000, burst: 1000 },
    ip: { ratePerSecond: 1_000_000, burst: 1_000_000 },
  });
  const measure = async (sale: Sale, flow: (i: number) => GrabFlow | undefined): Promise<ScriptCost> => {
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
    return { grabs, calls, usecPerGrab: (after.usec - before.usec) / grabs };
  };
  // Alternated, so a neighbour's burst of load does not land on one side only.
  const plain: ScriptCost[] = [];
  const flow: ScriptCost[] = [];
  const batched: ScriptCost[] = [];
  for (let round = 0; round < 3; round++) {
    plain.push(await measure(single, () => undefined));
    flow.push(await measure(single, everyBucket));
    batched.push(await measure(batching, () => undefined));
  }
  return { plain: median(plain), flow: median(flow), batched: median(batched) };
}

async function evalshaStats(redis: RedisClient): Promise<{ calls: number; usec: number }> {
  const m = /cmdstat_evalsha:calls=(\d+),usec=(\d+)/.exec(await redis.info('commandstats'));
  return { calls: Number(m?.[1] ?? 0), usec: Number(m?.[2] ?? 0) };
}

function median(costs: ScriptCost[]): ScriptCost {
  return [...costs].sort((a, b) => a.usecPerGrab - b.usecPerGrab)[Math.floor(costs.length / 2)] as ScriptCost;
}
