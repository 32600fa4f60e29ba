export { createRedis, type RedisClient } from './client.js';
export { assertNoEviction, maxmemoryPolicy } from './eviction.js';
export { REDIS_ENV, type RedisOptions, redisOptionsSchema } from './options.js';
export { defineScripts, type LuaScript, type ScriptArg, type ScriptRunner } from './scripts.js';
export { bucketDecision, PRECISE_NOW_LUA, TAKE_TOKEN, TOKEN_BUCKET_LUA, type TokenBucket } from './token-bucket.js';
