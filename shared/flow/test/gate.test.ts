import { createMetrics } from '@couponkill/metrics';
import { createRedis, redisOptionsSchema } from '@couponkill/redis';
import type { GrabFlow, GrabOutcome } from '@couponkill/sale';
import { afterAll, describe, expect, it } from 'vitest';
import { type ActiveFlowRules, compileRules, FlowGate, flowRulesSchema } from '../src/index.js';

// No global rule here, so the gate never calls Redis itself (the client is never connected);
// the coupon's buckets are decided by the grab, which these tests stand in for.
const redis = createRedis(redisOptionsSchema.parse({}), 'gate-unit-test');
afterAll(() => redis.disconnect());

const COUPON = '01JD7Z5Q0000000000000000AA';
const OTHER = '01JD7Z5Q0000000000000000BB';
const ACCEPTED: GrabOutcome = { ok: true, grabId: 'g', seq: 1, acceptedAt: 0, stockLeft: 1, replayed: false };

function setup(document: unknown) {
  let clock = 1000;
  let generation = 1;
  const holder: { current: ActiveFlowRules } = {
    current: compileRules(flowRulesSchema.parse(document), { generation, source: 'file', version: 'v1' }),
  };
  const metrics = createMetrics({ service: 'gate-test', collectDefault: false });
  const gate = new FlowGate({ rules: holder, redis, metrics, now: () => clock });
  const calls: Array<GrabFlow | undefined> = [];
  let answer: GrabOutcome = ACCEPTED;
  const grab = (who: { couponId?: string; userId?: string; ip?: string } = {}) =>
    gate.grab({ couponId: COUPON, userId: 'u1', ip: '10.0.0.1', ...who }, async (flow) => {
      calls.push(flow);
      return answer;
    });
  return {
    gate,
    grab,
    calls,
    metrics,
    answer: (next: GrabOutcome) => (answer = next),
    advance: (ms: number) => (clock += ms),
    replaceRules: (doc: unknown) =>
      (holder.current = compileRules(flowRulesSchema.parse(doc), {
        generation: ++generation,
        source: 'nacos',
        version: `v${generation}`,
      })),
  };
}

describe('FlowGate', () => {
  it('passes no buckets when no rule applies, so the grab does no bucket work', async () => {
    const t = setup({});
    expect(await t.grab()).toBe(ACCEPTED);
    expect(t.calls).toEqual([undefined]);
  });

  it('passes the coupon’s buckets and the client address to the grab', async () => {
    const t = setup({ perUser: { ratePerSecond: 20, burst: 10 }, perIp: { ratePerSecond: 50, burst: 20 } });
    await t.grab();
    expect(t.calls).toEqual([
      {
        clientIp: '10.0.0.1',
        coupon: undefined,
        user: { ratePerSecond: 20, burst: 10 },
        ip: { ratePerSecond: 50, burst: 20 },
      },
    ]);
  });

  it('reports the longest wait of the buckets Redis found empty, and then refuses locally until it passed', async () => {
    const t = setup({ perUser: { ratePerSecond: 20, burst: 10 }, perIp: { ratePerSecond: 5, burst: 1 } });
    t.answer({ ok: false, refusal: 'RATE_LIMITED', waitMs: { coupon: 0, user: 30, ip: 180 } });
    expect(await t.grab()).toEqual({ ok: false, refusal: 'RATE_LIMITED', dimension: 'ip', retryAfterMs: 180 });
    t.answer(ACCEPTED);

    t.advance(100);
    // Same user (other address): the user's bucket is empty for 30 ms only, which has passed.
    expect(await t.grab({ ip: '10.0.0.2' })).toBe(ACCEPTED);
    // Same address (other user): its bucket is still empty for 80 ms, answered without the grab.
    const before = t.calls.length;
    expect(await t.grab({ userId: 'u2' })).toEqual({
      ok: false,
      refusal: 'RATE_LIMITED',
      dimension: 'ip',
      retryAfterMs: 80,
    });
    expect(t.calls.length).toBe(before);
    // The same address on another coupon has a bucket of its own.
    expect(await t.grab({ couponId: OTHER })).toBe(ACCEPTED);

    t.advance(80);
    expect(await t.grab({ userId: 'u2' })).toBe(ACCEPTED);
    const text = (await t.metrics.render()).body;
    expect(text).toContain('couponkill_flow_rejected_total{dimension="ip",decided="redis",service="gate-test"} 1');
    expect(text).toContain('couponkill_flow_rejected_total{dimension="ip",decided="local",service="gate-test"} 1');
  });

  it('forgets its marks when the rules change (a raised rate must apply at once)', async () => {
    const t = setup({ perCoupon: { ratePerSecond: 1, burst: 1 } });
    t.answer({ ok: false, refusal: 'RATE_LIMITED', waitMs: { coupon: 900, user: 0, ip: 0 } });
    await t.grab();
    t.answer(ACCEPTED);
    expect((await t.grab()).ok).toBe(false); // marked
    t.replaceRules({ perCoupon: { ratePerSecond: 1000, burst: 100 } });
    expect(await t.grab()).toBe(ACCEPTED);
  });

  it('caps the grabs in flight, from the rules in force', async () => {
    const t = setup({ maxConcurrentGrabsPerInstance: 2 });
    expect([t.gate.enter(), t.gate.enter(), t.gate.enter()]).toEqual([true, true, false]);
    t.gate.leave();
    expect(t.gate.enter()).toBe(true);
    t.replaceRules({}); // no cap
    expect(Array.from({ length: 50 }, () => t.gate.enter()).every(Boolean)).toBe(true);
    expect((await t.metrics.render()).body).toContain(
      'couponkill_flow_rejected_total{dimension="concurrency",decided="local",service="gate-test"} 1',
    );
  });
});
