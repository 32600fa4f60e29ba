import type { Health } from './health.js';
import type { Check } from './run-check.js';

// Structural shapes of the clients we probe, so this package depends on none of them.

export interface RedisPingable {
  ping(): Promise<string>;
}

export interface MysqlQueryable {
  query(sql: string): Promise<unknown>;
}

/** A store over one or more MySQL pools, each with a name for its readiness check. */
export interface PooledStore {
  namedPools(): Iterable<readonly [string, MysqlQueryable]>;
}

export interface KafkaAdminLike {
  describeCluster(): Promise<unknown>;
}

/** Redis answers PING with PONG; anything else means we are not talking to a healthy server. */
export function pingRedis(client: RedisPingable): Check {
  return async () => {
    const reply = await client.ping();
    if (reply !== 'PONG') throw new Error(`unexpected PING reply`);
  };
}

/** A round trip through the pool proves a connection can be taken and the server answers. */
export function pingMysql(pool: MysqlQueryable): Check {
  return async () => {
    await pool.query('SELECT 1');
  };
}

/** Describing the cluster needs a live connection to at least one broker. */
export function kafkaAdminReachable(admin: KafkaAdminLike): Check {
  return async () => {
    await admin.describeCluster();
  };
}

/** What a process cannot serve without: checks named `redis`, one per store pool, `mysql` and `kafka`. */
export interface Dependencies {
  readonly redis?: RedisPingable;
  readonly stores?: readonly PooledStore[];
  /** A bare MySQL pool (not a store's). */
  readonly mysql?: MysqlQueryable;
  readonly kafka?: KafkaAdminLike;
}

/** Readiness of what a function cannot serve without: its Redis, every pool of its stores, MySQL, Kafka. */
export function checkDependencies(health: Pick<Health, 'addCheck'>, deps: Dependencies): void {
  if (deps.redis !== undefined) health.addCheck('redis', pingRedis(deps.redis));
  for (const store of deps.stores ?? [])
    for (const [name, pool] of store.namedPools()) health.addCheck(name, pingMysql(pool));
  if (deps.mysql !== undefined) health.addCheck('mysql', pingMysql(deps.mysql));
  if (deps.kafka !== undefined) health.addCheck('kafka', kafkaAdminReachable(deps.kafka));
}
