import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { databaseOf, loadMigrations, splitStatements, withDatabase } from '../src/index.js';

function dirWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'ck-migrations-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('loadMigrations', () => {
  it('orders files by version and checksums their rendered SQL', () => {
    const dir = dirWith({ '0002_b.sql': 'SELECT 2;', '0001_a.sql': 'SELECT ${n};', 'README.md': 'ignored' });
    const migrations = loadMigrations(dir, (sql) => sql.replace('${n}', '1'));
    expect(migrations.map((m) => [m.version, m.name, m.sql])).toEqual([
      [1, 'a', 'SELECT 1;'],
      [2, 'b', 'SELECT 2;'],
    ]);
    expect(migrations[0]?.checksum).toMatch(/^[0-9a-f]{64}$/);
  });

  it('rejects badly named files and gaps in the numbering', () => {
    expect(() => loadMigrations(dirWith({ '1_a.sql': '' }))).toThrow('must be named NNNN_lower_snake_name.sql');
    expect(() => loadMigrations(dirWith({ '0001_a.sql': '', '0003_c.sql': '' }))).toThrow('without gaps');
  });
});

describe('splitStatements', () => {
  it('splits on semicolons at line ends and drops comment lines', () => {
    const sql = `-- orders\nCREATE TABLE a (x INT);\n\n-- note; with a semicolon\nINSERT INTO a VALUES (1);\nSELECT 'a;b'`;
    expect(splitStatements(sql)).toEqual(['CREATE TABLE a (x INT)', 'INSERT INTO a VALUES (1)', "SELECT 'a;b'"]);
  });
});

describe('database urls', () => {
  it('reads and replaces the database of a MySQL URL', () => {
    expect(databaseOf('mysql://u:p@127.0.0.1:3306/orders_0')).toBe('orders_0');
    expect(databaseOf('mysql://u:p@127.0.0.1:3306')).toBeUndefined();
    expect(withDatabase('mysql://u:p@127.0.0.1:3306/x', 'orders_1')).toBe('mysql://u:p@127.0.0.1:3306/orders_1');
  });
});
