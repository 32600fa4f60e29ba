import { createRedis, redisOptionsSchema } from '@couponkill/redis';
import { Sale } from '@couponkill/sale';
import { ulid } from 'ulid';
import { removeStateDir, startRedis } from '@couponkill/servers';

export interface DurabilityCost {
  /** Grabs per second against a Redis that fsyncs its append-only file every second. */
  readonly everysec: number;
  /** The same against one that fsyncs before it answers (`appendfsync always`, the chart's default). */
  readonly always: number;
}

/**
 * What answering a grab only once it is on disk costs: the same grabs (the real script through
 * `Sale`, `concurrency` at a time) against two Redis servers that differ only in `appendfsync`,
 * in interleaved rounds, medians of grabs/s. Both servers write to this machine's disk.
 */
export async function benchDurability(
  profile: string,
  options: { grabs: number; concurrency: number; rounds: number },
): Promise<DurabilityCost> {
  const servers = {
    everysec: await startRedis({ profile: `${profile}-aof-everysec`, appendOnly: true, appendFsync: 'everysec' }),
    always: await startRedis({ profile: `${profile}-aof-always`, appendOnly: true, appendFsync: 'always' }),
  };
  const clients = {
    everysec: createRedis(redisOptionsSchema.parse({ url: servers.everysec.endpoint }), 'bench-aof'),
    always: createRedis(redisOptionsSchema.parse({ url: servers.always.endpoint }), 'bench-aof'),
  };
  try {
    const rate = async (which: keyof typeof clients): Promise<number> => {
      const sale = new Sale(clients[which]);
      const couponId = ulid();
      const settings = { status: 'active', type: 'normal', perUserLimit: 1_000_000, startMs: 0, endMs: 0 } as const;
      await sale.preheat(couponId, { ...settings, totalStock: 10_000_000 }, async () => 0);
      let next = 0;
      const worker = async () => {
        while (next < options.grabs) await sale.grab(couponId, `u${next++ % 10_000}`);
      };
      const started = performance.now();
      await Promise.all(Array.from({ length: options.concurrency }, worker));
      return options.grabs / ((performance.now() - started) / 1000);
    };
    const samples: Record<keyof typeof clients, number[]> = { everysec: [], always: [] };
    await rate('everysec'); // warm-up: scripts loaded, JIT
    await rate('always');
    for (let round = 0; round < options.rounds; round++) {
      samples.everysec.push(await rate('everysec'));
      samples.always.push(await rate('always'));
    }
    return { everysec: median(samples.everysec), always: median(samples.always) };
  } finally {
    clients.everysec.disconnect();
    clients.always.disconnect();
    await servers.everysec.process?.stop();
    await servers.always.process?.stop();
    removeStateDir(`${profile}-aof-everysec`);
    removeStateDir(`${profile}-aof-always`);
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}
