import type { RedisClient } from './client.js';

/** A Lua script and how many of its arguments are keys. */
export interface LuaScript {
  readonly lua: string;
  readonly keys: number;
}

export type ScriptArg = string | number | Buffer;

/** Runs a defined script: EVALSHA, falling back to EVAL once when the server lost its cache. */
export type ScriptRunner = (keys: readonly string[], args: readonly ScriptArg[]) => Promise<unknown>;

/**
 * Defines each script on the client with ioredis `defineCommand` (EVALSHA with automatic
 * fallback to EVAL after a Redis restart) and returns typed runners that check the key count.
 */
export function defineScripts<N extends string>(
  client: RedisClient,
  scripts: Readonly<Record<N, LuaScript>>,
): Record<N, ScriptRunner> {
  const runners = {} as Record<N, ScriptRunner>;
  for (const name of Object.keys(scripts) as N[]) {
    const script = scripts[name];
    const command = `ck_${name}`;
    client.defineCommand(command, { lua: script.lua, numberOfKeys: script.keys });
    const call = (client as unknown as Record<string, (...a: ScriptArg[]) => Promise<unknown>>)[command];
    if (call === undefined) throw new Error(`defineCommand did not create ${command}`);
    runners[name] = (keys, args) => {
      if (keys.length !== script.keys) {
        return Promise.reject(new Error(`script ${name} takes ${script.keys} keys, got ${keys.length}`));
      }
      return call.call(client, ...keys, ...args);
    };
  }
  return runners;
}
