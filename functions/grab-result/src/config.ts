import { VERIFIER_ENV, verifierSettingsSchema } from '@couponkill/auth';
import { configLoader } from '@couponkill/config';
import { REDIS_ENV, redisOptionsSchema } from '@couponkill/redis';
import { z } from 'zod';

export const grabResultConfigSchema = z.object({
  redis: redisOptionsSchema.prefault({}),
  auth: verifierSettingsSchema.prefault({}),
  sse: z
    .object({
      /** A stream ends with `event: timeout` after this long; the client reconnects if it still cares. */
      maxSeconds: z.number().int().min(1).max(3600).default(60),
      /** How often an open stream reads the grab's status from Redis. */
      pollMs: z.number().int().min(20).max(10_000).default(200),
      /** A comment line after this much silence, so proxies do not close an idle stream. */
      keepAliveSeconds: z.number().int().min(1).max(300).default(15),
      /** Event streams one user may hold open at once, over every instance (one more: 429 RATE_LIMITED). */
      maxStreamsPerUser: z.number().int().min(1).max(100).default(4),
    })
    .prefault({}),
});
export type GrabResultConfig = z.output<typeof grabResultConfigSchema>;

export const loadGrabResultConfig = configLoader('grab-result', grabResultConfigSchema, {
  ...REDIS_ENV,
  ...VERIFIER_ENV,
  SSE_MAX_SECONDS: 'sse.maxSeconds',
  SSE_POLL_MS: 'sse.pollMs',
  SSE_MAX_STREAMS_PER_USER: 'sse.maxStreamsPerUser',
});
