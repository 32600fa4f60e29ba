import { describe, expect, it } from 'vitest';
import { type Action, decide, type Observations } from '../src/lifecycle.js';
import { type SeckillObject, seckillSpecSchema, type SeckillStatus } from '../src/types.js';

const T0 = Date.parse('2026-11-11T00:00:00Z');
const COUPON = '01JD4X9Z8K7M6N5P4Q3R2S1T0V';

function sale(status: SeckillStatus = {}, extra: Partial<SeckillObject> = {}, spec: object = {}): SeckillObject {
  return {
    namespace: 'shop',
    name: 'double-11',
    uid: 'uid-1',
    generation: 1,
    deleting: false,
    spec: seckillSpecSchema.parse({
      coupon: { inline: { name: 'Flash 100 off', faceValue: 10_000 } },
      stock: 100,
      perUserLimit: 2,
      window: { start: new Date(T0).toISOString(), end: new Date(T0 + 60_000).toISOString() },
      prewarmSeconds: 30,
      drainTimeoutSeconds: 20,
      scaling: { grab: { minScale: 5 }, orderWorker: { minScale: 3, kafkaSource: 'create-order-source' } },
      ...spec,
    }),
    status,
    ...extra,
  };
}

const obs = (now: number, extra: Partial<Observations> = {}): Observations => ({
  now,
  newCouponId: COUPON,
  refreshMs: 1000,
  ...extra,
});
const kinds = (actions: readonly Action[]) => actions.map((a) => a.kind);
const drained = { sold: 100, remaining: 0, ordersDurable: 100, lag: 0, outbox: 0 };

describe('the sale lifecycle (pure)', () => {
  it('waits in Pending until the pre-warm lead time, and says when to look again', () => {
    const d = decide(sale(), obs(T0 - 60_000));
    expect(d.status.phase).toBe('Pending');
    expect(d.actions).toEqual([]);
    expect(d.requeueAfterMs).toBe(30_000);
    expect(d.status.couponId).toBe(COUPON);
  });

  it('warms up at T0 − lead: preheat, scale up, then Warming with an event', () => {
    const d = decide(sale(), obs(T0 - 30_000));
    expect(d.status.phase).toBe('Warming');
    expect(kinds(d.actions)).toEqual(['prepareCoupon', 'scaleUp']);
    expect(d.events.map((e) => e.reason)).toEqual(['Warming']);
    expect(d.status.conditions?.find((c) => c.type === 'Prewarmed')?.status).toBe('True');
  });

  it('publishes flow-rule overrides when the spec has them', () => {
    const d = decide(sale({}, {}, { flowRules: { perCoupon: { ratePerSecond: 500 } } }), obs(T0 - 10_000));
    expect(kinds(d.actions)).toEqual(['prepareCoupon', 'scaleUp', 'publishFlowRules']);
  });

  it('opens at T0 and closes at the end: scale down and withdraw, then Closing', () => {
    const warming = { phase: 'Warming', couponId: COUPON, observedGeneration: 1, scaledFrom: { a: '' } } as const;
    const open = decide(sale(warming), obs(T0 + 1));
    expect(open.status.phase).toBe('Open');
    expect(open.actions).toEqual([]);
    const closing = decide(
      sale({ ...open.status, flowRules: { published: true, target: 'x', rules: {} } }),
      obs(T0 + 60_000),
    );
    expect(closing.status.phase).toBe('Closing');
    expect(kinds(closing.actions)).toEqual(['scaleDown', 'withdrawFlowRules']);
  });

  it('audits only once the outbox and the lag are empty', () => {
    const closing = { phase: 'Closing', couponId: COUPON, observedGeneration: 1 } as const;
    const busy = decide(sale(closing), obs(T0 + 61_000, { counters: { ...drained, lag: 7 } }));
    expect(busy.status.phase).toBe('Closing');
    expect(busy.actions).toEqual([]);
    expect(busy.status.lag).toBe(7);
    const done = decide(sale(closing), obs(T0 + 62_000, { counters: drained }));
    expect(done.status.phase).toBe('Audited');
    expect(done.actions).toEqual([{ kind: 'audit', couponId: COUPON }]);
    expect(done.requeueAfterMs).toBeUndefined();
  });

  it('fails with DrainTimeout when the lag does not drain in time', () => {
    const closing = { phase: 'Closing', couponId: COUPON, observedGeneration: 1 } as const;
    const d = decide(sale(closing), obs(T0 + 60_000 + 21_000, { counters: { ...drained, outbox: 3 } }));
    expect(d.status.phase).toBe('Failed');
    expect(d.status.reason).toBe('DrainTimeout');
    expect(d.events[0]?.type).toBe('Warning');
  });

  it('is level-triggered: deciding again from the written status repeats nothing', () => {
    const first = decide(sale(), obs(T0 - 30_000));
    const again = decide(sale(first.status), obs(T0 - 29_000));
    expect(again.status.phase).toBe('Warming');
    expect(again.actions).toEqual([]);
    expect(again.events).toEqual([]);
  });

  it('applies an edit during the sale again (new generation)', () => {
    const open = { phase: 'Open', couponId: COUPON, observedGeneration: 1, acceptedWindow: undefined } as const;
    const d = decide(sale(open, { generation: 2 }), obs(T0 + 5_000));
    expect(kinds(d.actions)).toEqual(['prepareCoupon', 'scaleUp']);
    expect(d.status.observedGeneration).toBe(2);
  });

  it('refuses to move the window end into the past and keeps the accepted one', () => {
    const accepted = { start: new Date(T0).toISOString(), end: new Date(T0 + 60_000).toISOString() };
    const status: SeckillStatus = { phase: 'Open', couponId: COUPON, observedGeneration: 1, acceptedWindow: accepted };
    const edited = sale(
      status,
      { generation: 2 },
      {
        window: { start: accepted.start, end: new Date(T0 + 1_000).toISOString() },
      },
    );
    const d = decide(edited, obs(T0 + 5_000));
    expect(d.status.acceptedWindow).toEqual(accepted);
    const condition = d.status.conditions?.find((c) => c.type === 'SpecAccepted');
    expect(condition).toMatchObject({ status: 'False', reason: 'WindowInPast' });
    expect(d.status.phase).toBe('Open'); // the old end still holds
  });

  it('fails a sale whose window ended before it was accepted', () => {
    const d = decide(sale(), obs(T0 + 120_000));
    expect(d.status).toMatchObject({ phase: 'Failed', reason: 'WindowInPast' });
    expect(d.actions).toEqual([]);
  });

  it('cleans up on deletion and after a failure while scaled up', () => {
    const scaled: SeckillStatus = {
      phase: 'Open',
      couponId: COUPON,
      scaledFrom: { 'ksvc/grab-coupon/min-scale': '' },
      flowRules: { published: true, target: 'nacos', rules: { perCoupon: { ratePerSecond: 1 } } },
    };
    expect(kinds(decide(sale(scaled, { deleting: true }), obs(T0)).actions)).toEqual([
      'scaleDown',
      'withdrawFlowRules',
    ]);
    expect(kinds(decide(sale({ ...scaled, phase: 'Failed' }), obs(T0)).actions)).toEqual([
      'scaleDown',
      'withdrawFlowRules',
    ]);
    expect(decide(sale({ phase: 'Audited' }), obs(T0)).actions).toEqual([]);
  });

  it('keeps a condition’s transition time while its status stays the same', () => {
    const first = decide(sale(), obs(T0 - 30_000));
    const later = decide(sale(first.status), obs(T0 - 10_000));
    const at = (s: SeckillStatus) => s.conditions?.find((c) => c.type === 'Prewarmed')?.lastTransitionTime;
    expect(at(later.status)).toBe(at(first.status));
  });
});

describe('the spec schema (files for make sale)', () => {
  it('applies the CRD defaults and names a wrong field', () => {
    const spec = seckillSpecSchema.parse({
      coupon: { ref: COUPON },
      stock: 10,
      window: { start: '2026-11-11T00:00:00Z', end: '2026-11-11T00:10:00Z' },
    });
    expect(spec).toMatchObject({ perUserLimit: 1, prewarmSeconds: 300, scaling: { grab: { service: 'grab-coupon' } } });
    const bad = seckillSpecSchema.safeParse({ coupon: {}, stock: 0, window: { start: 'x', end: 'y' } });
    expect(bad.success).toBe(false);
    const paths = bad.error?.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['coupon', 'stock', 'window.start']));
  });
});
