import { createPool as createMysqlPool, type Pool, type PoolConnection, type PoolOptions } from 'mysql2/promise';

export type { Pool, PoolConnection } from 'mysql2/promise';

export interface DbOptions {
  /** `mysql://user:password@host:port/database` */
  readonly url: string;
  readonly connectionLimit?: number;
}

/**
 * A mysql2 promise pool with the settings every caller needs: UTC, 64-bit ids as strings
 * (JavaScript numbers lose precision past 2^53), and a bounded wait for a free connection.
 */
export function createPool(options: DbOptions): Pool {
  const config: PoolOptions = {
    uri: options.url,
    connectionLimit: options.connectionLimit ?? 10,
    maxIdle: options.connectionLimit ?? 10,
    idleTimeout: 60_000,
    queueLimit: 0,
    waitForConnections: true,
    enableKeepAlive: true,
    timezone: 'Z',
    supportBigNumbers: true,
    bigNumberStrings: true,
    dateStrings: false,
    charset: 'utf8mb4_unicode_ci',
  };
  return createMysqlPool(config);
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
