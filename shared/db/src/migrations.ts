import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Pool, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { createPool, withDatabase } from './pool.js';

/** How long a migration waits for another instance's migration of the same database to finish. */
const MIGRATION_LOCK_SECONDS = 60;

/** One versioned migration: `0001_create_orders.sql` → version 1, name `create_orders`. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

const FILE = /^(\d{4})_([a-z0-9_]+)\.sql$/;

/** Reads `NNNN_name.sql` files in version order; gaps and duplicates are errors. */
export function loadMigrations(dir: string, render: (sql: string) => string = (sql) => sql): Migration[] {
  const migrations = readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .map((file) => {
      const match = FILE.exec(file);
      if (match?.[1] === undefined || match[2] === undefined) {
        throw new Error(`migration file ${file} must be named NNNN_lower_snake_name.sql`);
      }
      const sql = render(readFileSync(join(dir, file), 'utf8'));
      return {
        version: Number(match[1]),
        name: match[2],
        sql,
        checksum: createHash('sha256').update(sql).digest('hex'),
      };
    })
    .sort((a, b) => a.version - b.version);
  migrations.forEach((migration, i) => {
    if (migration.version !== i + 1)
      throw new Error(
        `migrations must be numbered 0001, 0002, … without gaps; found ${migration.version} at position ${i + 1}`,
      );
  });
  return migrations;
}

export interface MigrationResult {
  readonly applied: readonly number[];
  readonly alreadyApplied: number;
}

interface AppliedRow extends RowDataPacket {
  version: number;
  checksum: string;
}

/**
 * Applies the migrations not yet recorded in `schema_migrations`, in order, under a named lock
 * so concurrent runners (several pods starting at once) apply each one exactly once. A recorded
 * migration whose file changed since is an error: history is never rewritten silently.
 * MySQL commits DDL implicitly, so write each migration to be safe to re-run (IF NOT EXISTS).
 */
export async function migrate(pool: Pool, migrations: readonly Migration[]): Promise<MigrationResult> {
  const connection = await pool.getConnection();
  // DDL on a big table and the wait for the lock may take minutes: no statement timeout here
  // (the pool's default fits requests, not schema changes); the migration Job has its own deadline.
  const run = <T extends RowDataPacket[] | ResultSetHeader = ResultSetHeader>(sql: string, values?: unknown[]) =>
    connection.query<T>({ sql, timeout: 0 }, values);
  const [[database]] = await run<RowDataPacket[]>('SELECT DATABASE() AS name');
  const lockName = `couponkill:migrations:${String(database?.['name'] ?? '')}`;
  try {
    const [[lock]] = await run<RowDataPacket[]>('SELECT GET_LOCK(?, ?) AS got', [lockName, MIGRATION_LOCK_SECONDS]);
    if (lock?.['got'] !== 1)
      throw new Error(`could not take the migration lock ${lockName} within ${MIGRATION_LOCK_SECONDS} s`);
    await run(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INT UNSIGNED NOT NULL PRIMARY KEY,
      name VARCHAR(200) NOT NULL,
      checksum CHAR(64) NOT NULL,
      applied_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
    ) ENGINE=InnoDB`);
    const [rows] = await run<AppliedRow[]>('SELECT version, checksum FROM schema_migrations ORDER BY version');
    const recorded = new Map(rows.map((row) => [Number(row.version), row.checksum]));
    for (const [version, checksum] of recorded) {
      const migration = migrations.find((m) => m.version === version);
      if (migration !== undefined && migration.checksum !== checksum) {
        throw new Error(
          `migration ${String(version).padStart(4, '0')}_${migration.name} changed after it was applied; add a new migration instead`,
        );
      }
    }
    const applied: number[] = [];
    for (const migration of migrations) {
      if (recorded.has(migration.version)) continue;
      for (const statement of splitStatements(migration.sql)) await run(statement);
      await run('INSERT INTO schema_migrations (version, name, checksum) VALUES (?, ?, ?)', [
        migration.version,
        migration.name,
        migration.checksum,
      ]);
      applied.push(migration.version);
    }
    return { applied, alreadyApplied: recorded.size };
  } finally {
    await run('SELECT RELEASE_LOCK(?)', [lockName]).catch(() => undefined);
    connection.release();
  }
}

/**
 * Splits a migration file on semicolons that end a line, ignoring `--` comment lines. Our
 * migrations hold plain DDL/DML (no procedures), so this is enough and needs no
 * multi-statement connection.
 */
export function splitStatements(sql: string): string[] {
  return sql
    .split('\n')
    .filter((line) => !/^\s*--/.test(line))
    .join('\n')
    .split(/;\s*(?:\n|$)/)
    .map((statement) => statement.trim())
    .filter((statement) => statement !== '');
}

/**
 * The folder of the package that contains `moduleUrl` (the nearest one with a package.json), so a
 * module finds its `migrations/` both from `src/` in tests and from `dist/src/` in the image.
 */
export function packageDir(moduleUrl: string): string {
  let dir = dirname(fileURLToPath(moduleUrl));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${moduleUrl}`);
    dir = parent;
  }
  return dir;
}

/**
 * The migrations a store ships: the `migrations/` folder (or its `subdir`) of the package the
 * module `moduleUrl` belongs to, each file passed through `render` (default: as written).
 */
export function packageMigrations(
  moduleUrl: string,
  { subdir = '', render }: { readonly subdir?: string; readonly render?: (sql: string) => string } = {},
): Migration[] {
  return loadMigrations(join(packageDir(moduleUrl), 'migrations', subdir), render);
}

/**
 * Creates `database` on the server of `mysqlUrl` if it is missing and applies `migrations` to it
 * (idempotent). Each step uses a one-connection pool of its own, closed afterwards.
 */
export async function migrateDatabase(
  mysqlUrl: string,
  database: string,
  migrations: readonly Migration[],
): Promise<MigrationResult> {
  const server = createPool({ url: withDatabase(mysqlUrl, ''), connectionLimit: 1 });
  try {
    await server.query(`CREATE DATABASE IF NOT EXISTS \`${database}\``);
  } finally {
    await server.end();
  }
  const pool = createPool({ url: withDatabase(mysqlUrl, database), connectionLimit: 1 });
  try {
    return await migrate(pool, migrations);
  } finally {
    await pool.end();
  }
}
