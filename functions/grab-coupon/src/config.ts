import { loadConfig } from '@couponkill/config';
import { redisOptionsSchema } from '@couponkill/redis';
import { z } from 'zod';

export const grabCouponConfigSchema = z.object({
  redis: redisOptionsSchema.prefault({}),
  auth: z
    .object({
      issuer: z.string().min(1).default('https://auth.couponkill.local'),
      audience: z.string().min(1).default('couponkill'),
      jwksUrl: z.url().default('http://user-auth.couponkill.svc.cluster.local/.well-known/jwks.json'),
    })
    .prefault({}),
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
        REDIS_URL: 'redis.url',
        REDIS_MODE: 'redis.mode',
        AUTH_ISSUER: 'auth.issuer',
        AUTH_AUDIENCE: 'auth.audience',
        AUTH_JWKS_URL: 'auth.jwksUrl',
        SOLD_OUT_MARK_MS: 'soldOutMarkMs',
      },
    },
    { env },
  );
}
