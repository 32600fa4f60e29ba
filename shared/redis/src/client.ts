import { Cluster, Redis, type RedisOptions as IORedisOptions } from 'ioredis';
import type { RedisOptions } from './options.js';

/** Either client; both run the same commands and scripts. */
export type RedisClient = Redis | Cluster;

function hostPort(value: string): { host: string; port: number } {
  const i = value.lastIndexOf(':');
  return { host: value.slice(0, i), port: Number(value.slice(i + 1)) };
}

/** Creates the ioredis client the options describe. It connects lazily on first command. */
export function createRedis(options: RedisOptions, name = 'couponkill'): RedisClient {
  const common: IORedisOptions = {
    connectionName: name,
    lazyConnect: true,
    enableAutoPipelining: options.autoPipelining,
    connectTimeout: options.connectTimeoutMs,
    commandTimeout: options.commandTimeoutMs,
    maxRetriesPerRequest: 2,
    // A command sent before a connection broke may have run: resending it after the reconnect
    // could run it twice (a grab would take two units). It fails instead; the caller decides
    // (the grab asks Redis what happened, see Sale's fence).
    autoResendUnfulfilledCommands: false,
    ...(options.password === undefined ? {} : { password: options.password }),
  };
  switch (options.mode) {
    case 'standalone':
      return new Redis(options.url, common);
    case 'sentinel':
      return new Redis({ ...common, sentinels: options.sentinels.map(hostPort), name: options.masterName });
    case 'cluster':
      return new Cluster(options.nodes.map(hostPort), {
        enableAutoPipelining: options.autoPipelining,
        redisOptions: common,
        lazyConnect: true,
        scaleReads: 'master',
      });
  }
}
