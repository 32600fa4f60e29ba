import type { RedisClient } from './client.js';

/**
 * A Lua script and how many of its arguments are keys: a fixed number, or `'variable'` for a
 * script whose every call says (a batch of one coupon's grabs).
 */
export interface LuaScript {
  readonly lua: string;
  readonly keys: number | 'variable';
}

export type ScriptArg = string | number | Buffer;

/** Runs a defined script: EVALSHA, falling back to EVAL once when the server lost its cache. */
export type ScriptRunner = (keys: readonly string[], args: readonly ScriptArg[]) => Promise<unknown>;

/**
 * Defines each script on the client with ioredis `defineCommand` (EVALSHA with automatic
 * fallback to EVAL after a Redis restart) and returns typed runners that check the key count
 * (or pass it, for a script of `'variable'` keys).
 */
export function defineScripts<N extends string>(
  client: RedisClient,
  scripts: Readonly<Record<N, LuaScript>>,
): Record<N, ScriptRunner> {
  const runners = {} as Record<N, ScriptRunner>;
  for (const name of Object.keys(scripts) as N[]) {
    const script = scripts[name];
    const command = `ck_${name}`;
    const fixed = script.keys === 'variable' ? undefined : script.keys;
    client.defineCommand(command, fixed === undefined ? { lua: script.lua } : { lua: script.lua, numberOfKeys: fixed });
    const call = (client as unknown as Record<string, (...a: ScriptArg[]) => Promise<unknown>>)[command];
    if (call === undefined) throw new Error(`defineCommand did not create ${command}`);
    runners[name] = (keys, args) => {
      if (fixed === undefined) return call.call(client, keys.length, ...keys, ...args);
      if (keys.length !== fixed) {
        return Promise.reject(new Error(`script ${name} takes ${script.keys} keys, got ${keys.length}`));
      }
      return call.call(client, ...keys, ...args);
    };
  }
  return runners;
}
