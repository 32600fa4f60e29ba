import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpoints, uniqueName } from '@couponkill/testkit';
import { createPool, loadMigrations, migrate, type Pool, withDatabase, withTransaction } from '../src/index.js';

const FILES = {
  '0001_create_accounts.sql': `CREATE TABLE IF NOT EXISTS accounts (
  id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  balance INT NOT NULL
) ENGINE=InnoDB;`,
  '0002_seed_accounts.sql': `INSERT INTO accounts (id, balance) VALUES (1, 100), (2, 0);`,
};

describe('mysql2 against a real MariaDB', () => {
  const database = uniqueName('ck_db_test');
  let admin: Pool;
  let pool: Pool;
  let dir: string;

  beforeAll(async () => {
    admin = createPool({ url: endpoints().mysqlUrl, connectionLimit: 2 });
    await admin.query(`CREATE DATABASE \`${database}\``);
    pool = createPool({ url: withDatabase(endpoints().mysqlUrl, database), connectionLimit: 8 });
    dir = mkdtempSync(join(tmpdir(), 'ck-migrations-'));
    for (const [name, sql] of Object.entries(FILES)) writeFileSync(join(dir, name), sql);
  });
  afterAll(async () => {
    await pool.end();
    await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
    await admin.end();
  });

  it('applies migrations once; running them again is a no-op', async () => {
    const first = await migrate(pool, loadMigrations(dir));
    expect(first.applied).toEqual([1, 2]);
    const second = await migrate(pool, loadMigrations(dir));
    expect(second).toEqual({ applied: [], alreadyApplied: 2 });
    const [rows] = await pool.query('SELECT COUNT(*) AS n FROM accounts');
    expect(rows).toEqual([{ n: '2' }]); // the seed ran once (BIGINT counts come back as strings)
  });

  it('applies each migration exactly once when several runners start together', async () => {
    const db2 = uniqueName('ck_db_race');
    await admin.query(`CREATE DATABASE \`${db2}\``);
    const racePool = createPool({ url: withDatabase(endpoints().mysqlUrl, db2), connectionLimit: 8 });
    try {
      const results = await Promise.all(Array.from({ length: 4 }, () => migrate(racePool, loadMigrations(dir))));
      expect(results.flatMap((r) => r.applied).sort()).toEqual([1, 2]);
      const [rows] = await racePool.query('SELECT COUNT(*) AS n FROM accounts');
      expect(rows).toEqual([{ n: '2' }]);
    } finally {
      await racePool.end();
      await admin.query(`DROP DATABASE IF EXISTS \`${db2}\``);
    }
  });

  it('refuses to run when an applied migration was edited', async () => {
    const edited = mkdtempSync(join(tmpdir(), 'ck-migrations-'));
    writeFileSync(join(edited, '0001_create_accounts.sql'), `${FILES['0001_create_accounts.sql']}\n-- edited`);
    writeFileSync(join(edited, '0002_seed_accounts.sql'), FILES['0002_seed_accounts.sql']);
    await expect(migrate(pool, loadMigrations(edited))).rejects.toThrow(
      '0001_create_accounts changed after it was applied',
    );
  });

  it('commits a transaction that resolves and rolls back one that throws', async () => {
    await withTransaction(pool, async (c) => {
      await c.query('UPDATE accounts SET balance = balance - 30 WHERE id = 1');
      await c.query('UPDATE accounts SET balance = balance + 30 WHERE id = 2');
    });
    await expect(
      withTransaction(pool, async (c) => {
        await c.query('UPDATE accounts SET balance = balance - 500 WHERE id = 1');
        throw new Error('insufficient funds');
      }),
    ).rejects.toThrow('insufficient funds');
    const [rows] = await pool.query('SELECT id, balance FROM accounts ORDER BY id');
    expect(rows).toEqual([
      { id: '1', balance: 70 },
      { id: '2', balance: 30 },
    ]);
  });

  it('inserts many rows in one multi-row statement', async () => {
    const values = Array.from({ length: 500 }, (_, i) => [1000 + i, i]);
    await withTransaction(pool, (c) => c.query('INSERT INTO accounts (id, balance) VALUES ?', [values]));
    const [rows] = await pool.query('SELECT COUNT(*) AS n, SUM(balance) AS total FROM accounts WHERE id >= 1000');
    expect(rows).toEqual([{ n: '500', total: String((499 * 500) / 2) }]);
  });
});
