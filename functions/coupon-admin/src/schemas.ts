import { type Coupon, type CouponPatch, type NewCoupon, publicCoupon } from '@couponkill/coupons';
import { isCouponId } from '@couponkill/sale';
import { z } from 'zod';

// The columns are INT UNSIGNED and TIMESTAMP: values outside their range would fail the insert
// with a 500, so they are refused here with a 400 instead.
const UINT32_MAX = 4_294_967_295;
const TIMESTAMP_MIN = Date.parse('1970-01-01T00:00:01Z');
const TIMESTAMP_MAX = Date.parse('2038-01-19T03:14:07Z');

const instant = z.iso
  .datetime({ offset: true, error: 'an ISO date-time, e.g. 2030-11-11T12:00:00Z' })
  // Format issues do not stop zod's refinements: an unparseable value is left to the format check.
  .refine((s) => {
    const ms = Date.parse(s);
    return Number.isNaN(ms) || (ms >= TIMESTAMP_MIN && ms <= TIMESTAMP_MAX);
  }, 'between 1970-01-01 and 2038-01-19 (UTC)')
  .transform((s) => new Date(s).toISOString());

export const windowSchema = z.strictObject({ start: instant, end: instant }).refine(
  (w) => {
    const [start, end] = [Date.parse(w.start), Date.parse(w.end)];
    return Number.isNaN(start) || Number.isNaN(end) || end > start;
  },
  { message: 'must be after start', path: ['end'] },
);

const name = z.string().trim().min(1, 'must not be empty').max(100);
const status = z.enum(['active', 'inactive']);
const perUserLimit = z.int().min(1).max(100);
const totalStock = z.int().min(1).max(10_000_000);

/**
 * `seckill` coupons sell inside their window; `normal` coupons whenever they are active. Checked on
 * the raw value even when other fields are already invalid (`when`), so one answer lists every
 * bad field.
 */
function windowFitsType(body: { type?: unknown; window?: unknown }, ctx: z.RefinementCtx): void {
  if (body.type === 'seckill' && body.window === undefined) {
    ctx.addIssue({ code: 'custom', path: ['window'], message: 'a seckill coupon needs a sale window' });
  }
  if (body.type === 'normal' && body.window !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['window'], message: 'a normal coupon has no sale window' });
  }
}
const isObject = (value: unknown) => typeof value === 'object' && value !== null;

export const createCouponBodySchema = z
  .strictObject({
    name,
    type: z.enum(['seckill', 'normal']),
    /** Cents. */
    faceValue: z.int().min(1).max(UINT32_MAX),
    /** Cents; 0 = no minimum. */
    minSpend: z.int().min(0).max(UINT32_MAX),
    validDays: z.int().min(1).max(3650),
    perUserLimit,
    totalStock,
    window: windowSchema.optional(),
    status: status.default('active'),
  })
  .superRefine(windowFitsType, { when: (payload) => isObject(payload.value) });
export type CreateCouponBody = z.output<typeof createCouponBodySchema>;

// Type and money are fixed once created: coupons already handed out were sold on those terms.
export const patchCouponBodySchema = z
  .strictObject({
    name: name.optional(),
    status: status.optional(),
    window: windowSchema.optional(),
    totalStock: totalStock.optional(),
    perUserLimit: perUserLimit.optional(),
  })
  .refine((body) => Object.values(body).some((value) => value !== undefined), {
    message: 'give at least one of name, status, window, totalStock, perUserLimit',
  });
export type PatchCouponBody = z.output<typeof patchCouponBodySchema>;

export const listQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().refine(isCouponId, 'the nextCursor of a previous page').optional(),
});

export const deleteQuerySchema = z.strictObject({
  force: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true'),
});

export function newCouponOf(body: CreateCouponBody): NewCoupon {
  return {
    name: body.name,
    type: body.type,
    faceValueCents: body.faceValue,
    minSpendCents: body.minSpend,
    validDays: body.validDays,
    perUserLimit: body.perUserLimit,
    totalStock: body.totalStock,
    startAt: body.window?.start ?? null,
    endAt: body.window?.end ?? null,
    status: body.status,
  };
}

export function couponPatchOf(body: PatchCouponBody): CouponPatch {
  return {
    name: body.name,
    status: body.status,
    startAt: body.window?.start,
    endAt: body.window?.end,
    totalStock: body.totalStock,
    perUserLimit: body.perUserLimit,
  };
}

/** A stored coupon as a create request would describe it, so a change is checked by the same rules. */
export function createBodyOf(coupon: Coupon): z.input<typeof createCouponBodySchema> {
  const { id: _id, createdAt: _createdAt, updatedAt: _updatedAt, window, ...fields } = publicCoupon(coupon);
  return { ...fields, ...(window === null ? {} : { window }) };
}
