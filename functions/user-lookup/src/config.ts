import { VERIFIER_ENV, verifierSettingsSchema } from '@couponkill/auth';
import { configLoader } from '@couponkill/config';
import { MYSQL_ENV, mysqlSettingsShape } from '@couponkill/db';
import { REDIS_ENV, redisOptionsSchema } from '@couponkill/redis';
import { userShardingSchema } from '@couponkill/users';
import { z } from 'zod';

export const userLookupConfigSchema = z.object({
  ...mysqlSettingsShape,
  redis: redisOptionsSchema.prefault({}),
  userSharding: userShardingSchema.prefault({}),
  auth: verifierSettingsSchema.prefault({}),
  profileCacheSeconds: z.number().int().min(0).default(300),
});
export type UserLookupConfig = z.output<typeof userLookupConfigSchema>;

export const loadUserLookupConfig = configLoader('user-lookup', userLookupConfigSchema, {
  ...MYSQL_ENV,
  ...REDIS_ENV,
  ...VERIFIER_ENV,
});
