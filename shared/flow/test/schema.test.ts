import { describe, expect, it } from 'vitest';
import { compileRules, EMBEDDED_FLOW_RULES, parseFlowRules } from '../src/index.js';

const COUPON = '01JD7Z5Q0000000000000000AA';
const OTHER = '01JD7Z5Q0000000000000000BB';

function parsed(text: string) {
  const result = parseFlowRules(text);
  if (!result.ok) throw new Error(result.reason);
  return result.value;
}

describe('flow-rules.yaml', () => {
  it('reads every dimension, with a burst of one second’s worth when none is given', () => {
    const rules = parsed(`
global: { ratePerSecond: 5000, burst: 1000 }
perCoupon: { ratePerSecond: 200, burst: 50 }
perUser: { ratePerSecond: 2.5 }
perIp: { ratePerSecond: 0.5 }
maxConcurrentGrabsPerInstance: 256
`);
    expect(rules).toEqual({
      global: { ratePerSecond: 5000, burst: 1000 },
      perCoupon: { ratePerSecond: 200, burst: 50 },
      perUser: { ratePerSecond: 2.5, burst: 3 },
      perIp: { ratePerSecond: 0.5, burst: 1 },
      coupons: {},
      maxConcurrentGrabsPerInstance: 256,
    });
  });

  it('treats an empty document as no rules at all', () => {
    expect(parsed('')).toEqual({ coupons: {} });
    expect(EMBEDDED_FLOW_RULES).toEqual({ coupons: {}, maxConcurrentGrabsPerInstance: 1000 });
  });

  it.each([
    ['a typo in a key', 'perUsr: { ratePerSecond: 5 }', 'Unrecognized key: "perUsr"'],
    ['a typo inside a rule', 'perUser: { rate: 5 }', 'perUser'],
    ['a zero rate', 'perUser: { ratePerSecond: 0 }', 'perUser.ratePerSecond'],
    ['a negative rate', 'global: { ratePerSecond: -5 }', 'global.ratePerSecond'],
    ['a fractional burst', 'perIp: { ratePerSecond: 5, burst: 2.5 }', 'perIp.burst'],
    ['a text rate', 'perCoupon: { ratePerSecond: lots }', 'perCoupon.ratePerSecond'],
    ['a coupon id that is no ULID', 'coupons: { coupon-1: { perUser: { ratePerSecond: 1 } } }', 'coupons.coupon-1'],
    ['a zero concurrency cap', 'maxConcurrentGrabsPerInstance: 0', 'maxConcurrentGrabsPerInstance'],
    ['not a mapping', '- perUser', 'not a mapping'],
    ['broken YAML', 'perUser: { ratePerSecond: 5', 'Flow map'],
  ])('rejects %s, naming the key', (_name, text, named) => {
    const result = parseFlowRules(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(named);
  });
});

describe('compiled rules', () => {
  const rules = compileRules(
    parsed(`
perCoupon: { ratePerSecond: 200, burst: 50 }
perUser: { ratePerSecond: 20, burst: 10 }
coupons:
  ${COUPON}:
    perCoupon: { ratePerSecond: 1000, burst: 100 }
    perUser: null
    perIp: { ratePerSecond: 50, burst: 20 }
`),
    { generation: 3, source: 'nacos', version: 'abc' },
  );

  it('applies the defaults to every coupon without rules of its own', () => {
    expect(rules.bucketsFor(OTHER)).toEqual({
      coupon: { ratePerSecond: 200, burst: 50 },
      user: { ratePerSecond: 20, burst: 10 },
      ip: undefined,
    });
    expect(rules.bucketsFor(OTHER)).toBe(rules.bucketsFor('01JD7Z5Q0000000000000000CC')); // one shared object
  });

  it('lets a coupon replace a default, switch one off (null) and add one', () => {
    expect(rules.bucketsFor(COUPON)).toEqual({
      coupon: { ratePerSecond: 1000, burst: 100 },
      user: undefined,
      ip: { ratePerSecond: 50, burst: 20 },
    });
  });

  it('is frozen and carries where it came from', () => {
    expect(Object.isFrozen(rules)).toBe(true);
    expect(Object.isFrozen(rules.bucketsFor(COUPON))).toBe(true);
    expect(rules).toMatchObject({ generation: 3, source: 'nacos', version: 'abc', global: undefined });
  });
});
