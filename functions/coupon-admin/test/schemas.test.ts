import { describe, expect, it } from 'vitest';
import {
  couponPatchOf,
  createBodyOf,
  createCouponBodySchema,
  deleteQuerySchema,
  listQuerySchema,
  newCouponOf,
  patchCouponBodySchema,
} from '../src/schemas.js';

const window = { start: '2030-11-11T00:00:00Z', end: '2030-11-11T02:00:00Z' };
const saleCoupon = {
  name: 'Double 11',
  type: 'seckill',
  faceValue: 500,
  minSpend: 2000,
  validDays: 7,
  perUserLimit: 1,
  totalStock: 100,
  window,
};
const { window: _none, ...normal } = { ...saleCoupon, type: 'normal' };

/** The dotted paths of every issue, as the 400 response would list them. */
function badFields(
  schema: { safeParse(value: unknown): { error?: { issues: Array<{ path: PropertyKey[] }> } } },
  value: unknown,
) {
  return (schema.safeParse(value).error?.issues ?? []).map((issue) => issue.path.join('.')).sort();
}

describe('createCouponBodySchema', () => {
  it('accepts a seckill coupon with a window and a normal one without, defaulting status to active', () => {
    const parsed = createCouponBodySchema.parse(saleCoupon);
    expect(parsed).toMatchObject({ status: 'active', window: { start: '2030-11-11T00:00:00.000Z' } });
    expect(createCouponBodySchema.parse(normal).window).toBeUndefined();
  });

  it('normalises window times with an offset to UTC', () => {
    const parsed = createCouponBodySchema.parse({
      ...saleCoupon,
      window: { start: '2030-11-11T08:00:00+08:00', end: '2030-11-11T10:00:00+08:00' },
    });
    expect(parsed.window).toEqual({ start: '2030-11-11T00:00:00.000Z', end: '2030-11-11T02:00:00.000Z' });
  });

  it('needs a window for seckill and refuses one for normal', () => {
    const { window: _w, ...noWindow } = saleCoupon;
    expect(badFields(createCouponBodySchema, noWindow)).toEqual(['window']);
    expect(badFields(createCouponBodySchema, { ...normal, window })).toEqual(['window']);
  });

  it('needs the window to end after it starts, inside the TIMESTAMP range', () => {
    expect(
      badFields(createCouponBodySchema, { ...saleCoupon, window: { start: window.end, end: window.start } }),
    ).toEqual(['window.end']);
    expect(
      badFields(createCouponBodySchema, { ...saleCoupon, window: { start: window.start, end: window.start } }),
    ).toEqual(['window.end']);
    expect(
      badFields(createCouponBodySchema, {
        ...saleCoupon,
        window: { start: window.start, end: '2040-01-01T00:00:00Z' },
      }),
    ).toEqual(['window.end']);
    expect(
      badFields(createCouponBodySchema, { ...saleCoupon, window: { start: 'tomorrow', end: window.end } }),
    ).toEqual(['window.start']);
  });

  it('lists every bad field at once, the window rule included', () => {
    const { window: _w, ...noWindow } = saleCoupon;
    const fields = badFields(createCouponBodySchema, {
      ...noWindow,
      name: '  ',
      faceValue: 0,
      minSpend: -1,
      validDays: 3651,
      perUserLimit: 101,
      totalStock: 10_000_001,
      status: 'paused',
      extra: true,
    });
    expect(fields).toEqual([
      '', // the unknown key
      'faceValue',
      'minSpend',
      'name',
      'perUserLimit',
      'status',
      'totalStock',
      'validDays',
      'window',
    ]);
  });

  it('takes whole cents only', () => {
    expect(badFields(createCouponBodySchema, { ...normal, faceValue: 4.99, minSpend: '100' })).toEqual([
      'faceValue',
      'minSpend',
    ]);
  });

  it('accepts the boundaries', () => {
    expect(
      createCouponBodySchema.safeParse({
        ...normal,
        minSpend: 0,
        validDays: 3650,
        perUserLimit: 100,
        totalStock: 10_000_000,
      }).success,
    ).toBe(true);
    expect(createCouponBodySchema.safeParse({ ...normal, validDays: 1, perUserLimit: 1, totalStock: 1 }).success).toBe(
      true,
    );
  });

  it('converts to the stored shape and back', () => {
    const body = createCouponBodySchema.parse(saleCoupon);
    const coupon = { ...newCouponOf(body), id: 'x', createdAt: '', updatedAt: '' };
    expect(coupon).toMatchObject({ faceValueCents: 500, minSpendCents: 2000, startAt: '2030-11-11T00:00:00.000Z' });
    expect(createCouponBodySchema.parse(createBodyOf(coupon))).toEqual(body);
    const plain = { ...newCouponOf(createCouponBodySchema.parse(normal)), id: 'y', createdAt: '', updatedAt: '' };
    expect(plain).toMatchObject({ startAt: null, endAt: null });
    expect(createBodyOf(plain)).not.toHaveProperty('window');
  });
});

describe('patchCouponBodySchema', () => {
  it('needs at least one field and knows only the changeable ones', () => {
    expect(badFields(patchCouponBodySchema, {})).toEqual(['']);
    const unknown = patchCouponBodySchema.safeParse({ type: 'normal', name: 'x' }).error?.issues;
    expect(unknown?.map((issue) => [issue.path.join('.'), issue.message])).toEqual([['', 'Unrecognized key: "type"']]);
    // Nothing changeable at all: both the unknown key and the missing change are reported.
    expect(badFields(patchCouponBodySchema, { faceValue: 100 })).toEqual(['', '']);
  });

  it('lists every bad field', () => {
    expect(
      badFields(patchCouponBodySchema, {
        name: '',
        status: 'gone',
        totalStock: 0,
        perUserLimit: 0,
        window: { start: window.end, end: window.start },
      }),
    ).toEqual(['name', 'perUserLimit', 'status', 'totalStock', 'window.end']);
  });

  it('maps a window onto both bounds and leaves absent fields undefined', () => {
    expect(couponPatchOf(patchCouponBodySchema.parse({ window }))).toEqual({
      name: undefined,
      status: undefined,
      startAt: '2030-11-11T00:00:00.000Z',
      endAt: '2030-11-11T02:00:00.000Z',
      totalStock: undefined,
      perUserLimit: undefined,
    });
    expect(couponPatchOf(patchCouponBodySchema.parse({ status: 'inactive' }))).toMatchObject({ status: 'inactive' });
  });
});

describe('query schemas', () => {
  it('pages 1 to 100 coupons, 20 by default, after a coupon id', () => {
    expect(listQuerySchema.parse({})).toEqual({ limit: 20 });
    expect(listQuerySchema.parse({ limit: '100', cursor: '01JCK0000000000000000000AA' })).toEqual({
      limit: 100,
      cursor: '01JCK0000000000000000000AA',
    });
    expect(badFields(listQuerySchema, { limit: '0', cursor: 'nope' })).toEqual(['cursor', 'limit']);
    expect(badFields(listQuerySchema, { limit: '101' })).toEqual(['limit']);
    expect(badFields(listQuerySchema, { limit: '2.5' })).toEqual(['limit']);
  });

  it('forces a delete only with force=true', () => {
    expect(deleteQuerySchema.parse({})).toEqual({ force: false });
    expect(deleteQuerySchema.parse({ force: 'true' })).toEqual({ force: true });
    expect(badFields(deleteQuerySchema, { force: 'yes' })).toEqual(['force']);
  });
});
