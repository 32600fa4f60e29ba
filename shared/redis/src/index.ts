export { createRedis, type RedisClient } from './client.js';
export { type RedisOptions, redisOptionsSchema } from './options.js';
export { defineScripts, type LuaScript, type ScriptArg, type ScriptRunner } from './scripts.js';
