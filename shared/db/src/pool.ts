import { createPool as createMysqlPool, type Pool, type PoolConnection, type PoolOptions } from 'mysql2/promise';
import { z } from 'zod';

export type { Pool, PoolConnection } from 'mysql2/promise';

/**
 * How long a request may wait on MySQL, in every function that uses it. A stalled server (a
 * failover, a SIGSTOP, a lock pile-up) then fails each request within seconds, which the HTTP
 * layer answers as 503 with Retry-After, instead of piling requests up until the process dies.
 */
export interface MysqlPoolSettings {
  /** Requests waiting for a free connection at most; one more fails at once. */
  readonly queueLimit: number;
  /** Longest wait for a free connection. */
  readonly acquireTimeoutMs: number;
  /** Longest wait for one statement's answer; the connection is then dropped (its state is unknown). */
  readonly queryTimeoutMs: number;
  /** Longest wait for a new connection's TCP connect and handshake. */
  readonly connectTimeoutMs: number;
}

/** Request-sized bounds: a request's statements take milliseconds, a stall is seen within seconds. */
export const MYSQL_POOL_DEFAULTS: MysqlPoolSettings = {
  queueLimit: 200,
  acquireTimeoutMs: 3000,
  queryTimeoutMs: 5000,
  connectTimeoutMs: 3000,
};

/** The `mysqlPool` section of a function's config, with other defaults where its statements are bigger. */
export function mysqlPoolSchemaWith(defaults: Partial<MysqlPoolSettings> = {}) {
  const d = { ...MYSQL_POOL_DEFAULTS, ...defaults };
  const ms = z.number().int().positive().max(600_000);
  return z
    .object({
      queueLimit: z.number().int().min(1).max(100_000).default(d.queueLimit),
      acquireTimeoutMs: ms.default(d.acquireTimeoutMs),
      queryTimeoutMs: ms.default(d.queryTimeoutMs),
      connectTimeoutMs: ms.default(d.connectTimeoutMs),
    })
    .strict();
}

export const mysqlPoolSchema = mysqlPoolSchemaWith();

/** The environment variables of a function's `mysqlPool` section (for `loadConfig`'s env map). */
export const MYSQL_POOL_ENV = {
  MYSQL_QUEUE_LIMIT: 'mysqlPool.queueLimit',
  MYSQL_ACQUIRE_TIMEOUT_MS: 'mysqlPool.acquireTimeoutMs',
  MYSQL_QUERY_TIMEOUT_MS: 'mysqlPool.queryTimeoutMs',
  MYSQL_CONNECT_TIMEOUT_MS: 'mysqlPool.connectTimeoutMs',
} as const;

/** Connections a store opens per database unless its caller sizes the pool. */
export const DEFAULT_POOL_CONNECTIONS = 10;

/** An idle connection is closed after this long, so a quiet pool gives its server connections back. */
const IDLE_CONNECTION_MS = 60_000;

/** Where a program's MySQL server is (the databases are named by its sharding or store settings). */
export const mysqlUrlSchema = z.url().default('mysql://couponkill:couponkill@127.0.0.1:3306');

/** The `mysqlUrl` and `mysqlPool` settings of a program that talks to MySQL, to spread into its config schema. */
export const mysqlSettingsShape = {
  mysqlUrl: mysqlUrlSchema,
  /** Bounds on waiting for MySQL (queue, connection, statement): a stall answers 503, not a pile-up. */
  mysqlPool: mysqlPoolSchema.prefault({}),
};

/** The environment variables of a program's `mysqlUrl` and `mysqlPool` settings. */
export const MYSQL_ENV = { MYSQL_URL: 'mysqlUrl', ...MYSQL_POOL_ENV } as const;

export interface DbOptions extends Partial<MysqlPoolSettings> {
  /** `mysql://user:password@host:port/database` */
  readonly url: string;
  readonly connectionLimit?: number;
}

/** The code of the error a caller gets when no connection was free within `acquireTimeoutMs`. */
export const POOL_ACQUIRE_TIMEOUT = 'POOL_ACQUIRE_TIMEOUT';

/**
 * A mysql2 promise pool with the settings every caller needs: UTC, 64-bit ids as strings
 * (JavaScript numbers lose precision past 2^53), a bounded queue of requests waiting for a
 * connection, a bound on that wait, and a timeout on every statement.
 */
export function createPool(options: DbOptions): Pool {
  const settings: MysqlPoolSettings = {
    queueLimit: options.queueLimit ?? MYSQL_POOL_DEFAULTS.queueLimit,
    acquireTimeoutMs: options.acquireTimeoutMs ?? MYSQL_POOL_DEFAULTS.acquireTimeoutMs,
    queryTimeoutMs: options.queryTimeoutMs ?? MYSQL_POOL_DEFAULTS.queryTimeoutMs,
    connectTimeoutMs: options.connectTimeoutMs ?? MYSQL_POOL_DEFAULTS.connectTimeoutMs,
  };
  const config: PoolOptions = {
    uri: options.url,
    connectionLimit: options.connectionLimit ?? DEFAULT_POOL_CONNECTIONS,
    maxIdle: options.connectionLimit ?? DEFAULT_POOL_CONNECTIONS,
    idleTimeout: IDLE_CONNECTION_MS,
    queueLimit: settings.queueLimit,
    waitForConnections: true,
    connectTimeout: settings.connectTimeoutMs,
    enableKeepAlive: true,
    timezone: 'Z',
    supportBigNumbers: true,
    bigNumberStrings: true,
    dateStrings: false,
    charset: 'utf8mb4_unicode_ci',
  };
  const pool = createMysqlPool(config);
  boundWaits(pool.pool as unknown as CorePool, settings);
  return pool;
}

/**
 * How a store's caller sizes its pools: connections per database (`DEFAULT_POOL_CONNECTIONS`
 * unless given) and the program's pool bounds (its `mysqlPool` settings). Every store's `open`
 * ends with these, passed on to `openDatabasePool`.
 */
export type PoolSize = [connections?: number, bounds?: Partial<MysqlPoolSettings>];

/** A pool on one database of a server, `connections` wide, with the program's pool bounds. */
export function openDatabasePool(
  mysqlUrl: string,
  database: string,
  ...[connections = DEFAULT_POOL_CONNECTIONS, bounds = {}]: PoolSize
): Pool {
  return createPool({ url: withDatabase(mysqlUrl, database), connectionLimit: connections, ...bounds });
}

// mysql2 has a per-statement `timeout` but no pool-wide default for it, and no bound on the wait
// for a connection. Both are added on the callback-level pool and connections underneath the
// promise API, because every path ends there: pool.query/execute, getConnection, and the
// START TRANSACTION/COMMIT/ROLLBACK that mysql2 issues itself.

type Callback = (err: Error | null, connection?: CoreConnection) => void;

interface CorePool {
  getConnection(callback: Callback): void;
}

interface CoreConnection {
  addCommand(command: Command): unknown;
  destroy(): void;
  release(): void;
}

/** A mysql2 command: Query and Execute carry `timeout` (and `queryTimeout`, the running timer). */
interface Command {
  timeout?: number;
  queryTimeout?: unknown;
  onResult?: (err: Error | null, ...rest: unknown[]) => void;
}

const bounded = new WeakSet<CoreConnection>();

function boundWaits(pool: CorePool, settings: MysqlPoolSettings): void {
  const getConnection = pool.getConnection.bind(pool);
  pool.getConnection = (callback) => {
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      callback(
        Object.assign(new Error(`no MySQL connection was free within ${settings.acquireTimeoutMs} ms`), {
          code: POOL_ACQUIRE_TIMEOUT,
        }),
      );
    }, settings.acquireTimeoutMs);
    getConnection((err, connection) => {
      if (settled) {
        // The caller has given up; hand the late connection straight back.
        connection?.release();
        return;
      }
      settled = true;
      clearTimeout(timer);
      if (connection !== undefined) timeStatements(connection, settings.queryTimeoutMs);
      callback(err, connection);
    });
  };
}

/**
 * Gives every Query/Execute on `connection` mysql2's own `timeout` unless the statement sets one
 * (`timeout: 0` opts out, e.g. migrations). A timed-out statement leaves the connection in an
 * unknown state (the answer may still come), so the connection is dropped, never reused.
 */
function timeStatements(connection: CoreConnection, timeoutMs: number): void {
  if (bounded.has(connection)) return;
  bounded.add(connection);
  const addCommand = connection.addCommand.bind(connection);
  connection.addCommand = (command) => {
    if ('queryTimeout' in command) {
      command.timeout ??= timeoutMs;
      const onResult = command.onResult;
      if (onResult !== undefined) {
        let timedOut = false;
        command.onResult = (err, ...rest) => {
          if (timedOut) return; // the late answer or the closing connection, after we answered
          if ((err as { code?: unknown } | null)?.code === 'PROTOCOL_SEQUENCE_TIMEOUT') {
            timedOut = true;
            connection.destroy();
          }
          onResult(err, ...rest);
        };
      }
    }
    return addCommand(command);
  };
}

/**
 * Runs `work` in a transaction on one connection: COMMIT when it resolves, ROLLBACK when it
 * throws (the error is rethrown). The connection always goes back to the pool.
 */
export async function withTransaction<T>(pool: Pool, work: (connection: PoolConnection) => Promise<T>): Promise<T> {
  const connection = await pool.getConnection();
  try {
    await connection.beginTransaction();
    const result = await work(connection);
    await connection.commit();
    return result;
  } catch (err) {
    await connection.rollback().catch(() => undefined);
    throw err;
  } finally {
    connection.release();
  }
}

/** Database name part of a MySQL URL, or undefined when the URL names none. */
export function databaseOf(url: string): string | undefined {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  return name === '' ? undefined : name;
}

/** The same server URL pointing at another database (shards are databases on one or more servers). */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}
