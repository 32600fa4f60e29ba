export {
  DEFAULT_SCRYPT_PARAMS,
  dummyHash,
  hashPassword,
  needsRehash,
  type ScryptParams,
  scryptParamsSchema,
  verifyPassword,
} from './passwords.js';
export { shardOf, type UserSharding, userShardingSchema } from './sharding.js';
export { type NewUser, publicProfile, type User, type UserRole, UserStore, type UserWithSecret } from './store.js';
export { UserCache } from './cache.js';
export { publicProfileExample, publicProfileSchema } from './profile-schema.js';
