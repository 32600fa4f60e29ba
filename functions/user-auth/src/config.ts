import { configLoader } from '@couponkill/config';
import { MYSQL_ENV, mysqlSettingsShape } from '@couponkill/db';
import { signingKeysSchema } from '@couponkill/auth';
import { REDIS_ENV, redisOptionsSchema } from '@couponkill/redis';
import { scryptParamsSchema, userShardingSchema } from '@couponkill/users';
import { trustedProxyHopsSchema } from '@couponkill/http';
import { z } from 'zod';

/** A token bucket: `burst` at once, refilled at `ratePerSecond` (fractions allowed: 0.1 = one per 10 s). */
function bucketSchema(defaults: { ratePerSecond: number; burst: number }) {
  return z
    .strictObject({
      ratePerSecond: z.number().positive().max(1_000_000).default(defaults.ratePerSecond),
      burst: z.int().min(1).max(1_000_000).default(defaults.burst),
    })
    .prefault({});
}

export const userAuthConfigSchema = z.object({
  ...mysqlSettingsShape,
  redis: redisOptionsSchema.prefault({}),
  userSharding: userShardingSchema.prefault({}),
  /** Apply the user schema migrations at start (local runs); clusters run them as a Job. */
  migrateOnStart: z.boolean().default(false),
  auth: z
    .object({
      issuer: z.string().min(1).default('https://auth.couponkill.local'),
      audience: z.string().min(1).default('couponkill'),
      tokenTtlSeconds: z.number().int().min(60).max(86_400).default(900),
      /** Private JWKs with kids; exactly one active (see shared/auth keys.ts for rotation). */
      signingKeys: signingKeysSchema.prefault([]),
    })
    .prefault({}),
  lockout: z
    .object({
      maxFailuresPerUser: z.number().int().min(1).default(5),
      maxFailuresPerIp: z.number().int().min(1).default(50),
      windowSeconds: z.number().int().min(1).default(900),
      lockSeconds: z.number().int().min(1).default(900),
    })
    .prefault({}),
  /** scrypt cost of new hashes; a login whose stored hash is cheaper rehashes it (see shared/users passwords.ts). */
  passwordHashing: scryptParamsSchema,
  /** Token buckets on POST /register, taken before the password is hashed (429 RATE_LIMITED past them). */
  registerLimits: z
    .object({
      perIp: bucketSchema({ ratePerSecond: 0.1, burst: 5 }),
      global: bucketSchema({ ratePerSecond: 20, burst: 100 }),
    })
    .prefault({}),
  /** The OpenAPI document to publish at /openapi.json (docs/openapi.json; mounted from a ConfigMap in clusters). */
  openApiFile: z.string().min(1).optional(),
  /** Proxies in front that append to X-Forwarded-For (the Istio ingress gateway: 1). */
  trustedProxyHops: trustedProxyHopsSchema,
});
export type UserAuthConfig = z.output<typeof userAuthConfigSchema>;

export const loadUserAuthConfig = configLoader('user-auth', userAuthConfigSchema, {
  ...MYSQL_ENV,
  ...REDIS_ENV,
  MIGRATE_ON_START: 'migrateOnStart',
  AUTH_ISSUER: 'auth.issuer',
  AUTH_AUDIENCE: 'auth.audience',
  AUTH_TOKEN_TTL_SECONDS: 'auth.tokenTtlSeconds',
  AUTH_SIGNING_KEYS: 'auth.signingKeys',
  TRUSTED_PROXY_HOPS: 'trustedProxyHops',
  OPENAPI_FILE: 'openApiFile',
  PASSWORD_SCRYPT_LOG_N: 'passwordHashing.logN',
});
