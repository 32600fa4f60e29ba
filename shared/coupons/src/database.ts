import { z } from 'zod';

/**
 * The name of the coupon database. Checked because it is spliced into `CREATE DATABASE`, where
 * no placeholder is allowed.
 */
export const couponsDatabaseSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,63}$/, 'a database name: lower-case letters, digits, _');

export const DEFAULT_COUPONS_DATABASE = 'couponkill_coupons';
