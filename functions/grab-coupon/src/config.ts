import { VERIFIER_ENV, verifierSettingsSchema } from '@couponkill/auth';
import { loadConfig } from '@couponkill/config';
import { REDIS_ENV, redisOptionsSchema } from '@couponkill/redis';
import { z } from 'zod';

export const grabCouponConfigSchema = z.object({
  redis: redisOptionsSchema.prefault({}),
  auth: verifierSettingsSchema.prefault({}),
  /** How long a sold-out answer is served from memory before asking Redis again. */
  soldOutMarkMs: z.number().int().min(0).max(10_000).default(1000),
  /** How long a grab's result stays readable. */
  grabRecordTtlSeconds: z.number().int().min(60).default(86_400),
});

export function loadGrabCouponConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadConfig(
    {
      name: 'grab-coupon',
      schema: grabCouponConfigSchema,
      fileEnv: 'CONFIG_FILE',
      env: {
        ...REDIS_ENV,
        ...VERIFIER_ENV,
        SOLD_OUT_MARK_MS: 'soldOutMarkMs',
      },
    },
    { env },
  );
}
