import { describe, expect, it } from 'vitest';
import { type Coupon, publicCoupon, toSaleSettings } from '../src/index.js';

const saleCoupon: Coupon = {
  id: '01JCK0000000000000000000AA',
  name: 'Double 11',
  type: 'seckill',
  faceValueCents: 500,
  minSpendCents: 2000,
  validDays: 7,
  perUserLimit: 2,
  totalStock: 1000,
  startAt: '2030-11-11T00:00:00.000Z',
  endAt: '2030-11-11T02:00:00.000Z',
  status: 'active',
  createdAt: '2030-11-01T00:00:00.000Z',
  updatedAt: '2030-11-01T00:00:00.000Z',
};

describe('toSaleSettings', () => {
  it('carries the window of a seckill coupon as epoch ms', () => {
    expect(toSaleSettings(saleCoupon)).toEqual({
      status: 'active',
      type: 'seckill',
      perUserLimit: 2,
      startMs: Date.parse('2030-11-11T00:00:00Z'),
      endMs: Date.parse('2030-11-11T02:00:00Z'),
      totalStock: 1000,
    });
  });

  it('gives a normal coupon no window, even if one was stored', () => {
    const normal: Coupon = { ...saleCoupon, type: 'normal', status: 'inactive' };
    expect(toSaleSettings(normal)).toMatchObject({ type: 'normal', status: 'inactive', startMs: 0, endMs: 0 });
    expect(toSaleSettings({ ...normal, startAt: null, endAt: null })).toMatchObject({ startMs: 0, endMs: 0 });
  });

  it('uses 0 for a bound that is absent', () => {
    expect(toSaleSettings({ ...saleCoupon, startAt: null, endAt: null })).toMatchObject({ startMs: 0, endMs: 0 });
  });
});

describe('publicCoupon', () => {
  it('answers with the names a create request uses', () => {
    expect(publicCoupon(saleCoupon)).toEqual({
      id: saleCoupon.id,
      name: 'Double 11',
      type: 'seckill',
      faceValue: 500,
      minSpend: 2000,
      validDays: 7,
      perUserLimit: 2,
      totalStock: 1000,
      window: { start: '2030-11-11T00:00:00.000Z', end: '2030-11-11T02:00:00.000Z' },
      status: 'active',
      createdAt: saleCoupon.createdAt,
      updatedAt: saleCoupon.updatedAt,
    });
    expect(publicCoupon({ ...saleCoupon, type: 'normal', startAt: null, endAt: null }).window).toBeNull();
  });
});
