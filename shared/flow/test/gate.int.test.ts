import { createMetrics } from '@couponkill/metrics';
import { createRedis, type RedisClient, redisOptionsSchema } from '@couponkill/redis';
import type { GrabOutcome } from '@couponkill/sale';
import { endpoints, uniqueName } from '@couponkill/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileRules, FlowGate, flowRulesSchema } from '../src/index.js';

const ACCEPTED: GrabOutcome = { ok: true, grabId: 'g', seq: 1, acceptedAt: 0, stockLeft: 1, replayed: false };

async function redisMs(redis: RedisClient): Promise<number> {
  const [s, us] = await redis.time();
  return Number(s) * 1000 + Number(us) / 1000;
}

// The global rule is one Redis bucket shared by every instance (its own slot, one extra call).
describe('the global bucket shared by two instances', () => {
  let redis: RedisClient;
  const globalKey = uniqueName('ck:test:flow:global');

  beforeAll(async () => {
    redis = createRedis(redisOptionsSchema.parse({ url: endpoints().redisUrl }), 'flow-gate-test');
    await redis.connect();
  });
  afterAll(async () => {
    await redis.del(globalKey);
    redis.disconnect();
  });

  it('admits the configured global rate (±5 %) across both, and neither asks Redis once per refused grab', async () => {
    // Two seconds of burst, as in the flood test: a token is only lost when no request arrives for
    // longer than that, which a loaded machine's pauses cannot cause.
    const global = { ratePerSecond: 100, burst: 200 };
    const rules = {
      current: compileRules(flowRulesSchema.parse({ global }), { generation: 1, source: 'file', version: 'g' }),
    };
    const instances = [0, 1].map(() => {
      const metrics = createMetrics({ service: 'gate-int', collectDefault: false });
      return { metrics, gate: new FlowGate({ rules, redis, metrics, globalKey }), admitted: 0, asked: 0 };
    });
    const started = await redisMs(redis);
    const until = performance.now() + 3000;
    let endedAt: Promise<number> | undefined;
    await Promise.all(
      instances.flatMap((instance) =>
        Array.from({ length: 4 }, async () => {
          while (performance.now() < until) {
            const outcome = await instance.gate.grab({ couponId: 'c', userId: 'u', ip: 'i' }, async () => ACCEPTED);
            instance.asked++;
            if (outcome.ok) instance.admitted++;
            await new Promise(setImmediate); // a local refusal resolves at once: let I/O in
          }
          endedAt ??= redisMs(redis); // the demand ends when the first loop stops
        }),
      ),
    );
    const elapsed = (await (endedAt ?? redisMs(redis))) - started;
    const admitted = instances.reduce((sum, i) => sum + i.admitted, 0);
    const expected = global.burst + (global.ratePerSecond * elapsed) / 1000;
    const local = async (i: (typeof instances)[number]) =>
      Number(
        /couponkill_flow_rejected_total\{dimension="global",decided="local"[^}]*\} (\d+)/.exec(
          (await i.metrics.render()).body,
        )?.[1] ?? 0,
      );
    const decidedLocally = (await local(instances[0]!)) + (await local(instances[1]!));
    const asked = instances.reduce((sum, i) => sum + i.asked, 0);
    console.info(
      `global 100/s burst 200 over two instances: ${admitted} admitted of ${asked} in ${elapsed.toFixed(0)} ms (Redis clock), expected ${expected.toFixed(1)}; ` +
        `per instance ${instances.map((i) => i.admitted).join(' + ')}; ${decidedLocally} refusals decided locally`,
    );
    expect(Math.abs(admitted - expected) / expected).toBeLessThan(0.05);
    expect(instances.every((i) => i.admitted > 0)).toBe(true);
    expect(decidedLocally).toBeGreaterThan((asked - admitted) / 2);
  });
});
