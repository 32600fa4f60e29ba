import { z } from 'zod';

/** The coupons a job works on, by id (ULIDs), at least one and at most `max`. */
export function couponIdListSchema(max: number) {
  return z
    .array(z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'a coupon id (ULID)'))
    .min(1)
    .max(max);
}
