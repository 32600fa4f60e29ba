import { classifyDependencyFailure } from '@couponkill/errors';
import { endpoints, uniqueName } from '@couponkill/testkit';
import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, type Pool, POOL_ACQUIRE_TIMEOUT, withDatabase, withTransaction } from '../src/index.js';

// The pool's bounds against a real MariaDB: a statement that runs too long, a wait for a
// connection that takes too long and a queue that is full each fail fast with an error the
// HTTP layer answers as 503, and the pool keeps working afterwards.

function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err,
  );
}

const codeOf = (err: unknown) => (err as { code?: unknown }).code;

describe('pool bounds against a real MariaDB', () => {
  const database = uniqueName('ck_db_bounds');
  let admin: Pool;
  const pools: Pool[] = [];

  function pool(options: Omit<Parameters<typeof createPool>[0], 'url'>): Pool {
    const created = createPool({ url: withDatabase(endpoints().mysqlUrl, database), ...options });
    pools.push(created);
    return created;
  }

  beforeAll(async () => {
    admin = createPool({ url: endpoints().mysqlUrl, connectionLimit: 2 });
    await admin.query(`CREATE DATABASE \`${database}\``);
    await admin.query(`CREATE TABLE \`${database}\`.counters (id INT PRIMARY KEY, n INT NOT NULL) ENGINE=InnoDB`);
    await admin.query(`INSERT INTO \`${database}\`.counters VALUES (1, 0)`);
  });
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.end().catch(() => undefined)));
    await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
    await admin.end();
  });

  it('times out a statement through the pool, drops its connection and keeps serving', async () => {
    const p = pool({ connectionLimit: 1, queryTimeoutMs: 200 });
    const err = await rejectionOf(p.query('SELECT SLEEP(3)'));
    expect(codeOf(err)).toBe('PROTOCOL_SEQUENCE_TIMEOUT');
    expect(classifyDependencyFailure(err)?.dependency).toBe('mysql');
    // The one connection was busy with the sleep; a new one serves the next statement at once.
    const [rows] = await p.query<RowDataPacket[]>('SELECT 1 AS one');
    expect(rows).toEqual([{ one: 1 }]);
  });

  it('times out a statement on a connection taken from the pool, and inside a transaction', async () => {
    const p = pool({ connectionLimit: 2, queryTimeoutMs: 200 });
    const connection = await p.getConnection();
    const direct = await rejectionOf(connection.query('SELECT SLEEP(3)'));
    connection.release();
    expect(codeOf(direct)).toBe('PROTOCOL_SEQUENCE_TIMEOUT');

    const inTransaction = await rejectionOf(
      withTransaction(p, async (c) => {
        await c.query('UPDATE counters SET n = n + 1 WHERE id = 1');
        await c.query('SELECT SLEEP(3)');
      }),
    );
    expect(codeOf(inTransaction)).toBe('PROTOCOL_SEQUENCE_TIMEOUT');
    // The dropped connection's transaction never committed.
    const [rows] = await p.query<RowDataPacket[]>('SELECT n FROM counters WHERE id = 1');
    expect(rows).toEqual([{ n: 0 }]);
  });

  it('times out execute too', async () => {
    const p = pool({ connectionLimit: 1, queryTimeoutMs: 200 });
    const err = await rejectionOf(p.execute('SELECT SLEEP(?)', [3]));
    expect(codeOf(err)).toBe('PROTOCOL_SEQUENCE_TIMEOUT');
  });

  it('lets a statement opt out with timeout: 0 (migrations do)', async () => {
    const p = pool({ connectionLimit: 1, queryTimeoutMs: 100 });
    const [rows] = await p.query<RowDataPacket[]>({ sql: 'SELECT SLEEP(0.3) AS slept', timeout: 0 });
    expect(rows).toEqual([{ slept: 0 }]);
  });

  it('bounds the wait for a free connection', async () => {
    const p = pool({ connectionLimit: 1, acquireTimeoutMs: 200 });
    const held = await p.getConnection();
    try {
      const waited = await rejectionOf(p.getConnection());
      expect(codeOf(waited)).toBe(POOL_ACQUIRE_TIMEOUT);
      expect(classifyDependencyFailure(waited)?.dependency).toBe('mysql');
      const queried = await rejectionOf(p.query('SELECT 1'));
      expect(codeOf(queried)).toBe(POOL_ACQUIRE_TIMEOUT);
    } finally {
      held.release();
    }
    // The waiters that gave up handed their late connection back: the pool is whole again.
    const [rows] = await p.query<RowDataPacket[]>('SELECT 1 AS one');
    expect(rows).toEqual([{ one: 1 }]);
  });

  it('refuses a request at once when the wait queue is full', async () => {
    const p = pool({ connectionLimit: 1, queueLimit: 2, acquireTimeoutMs: 60_000 });
    const held = await p.getConnection();
    const waiting = [p.getConnection(), p.getConnection()];
    try {
      const refused = await rejectionOf(p.query('SELECT 1'));
      expect((refused as Error).message).toBe('Queue limit reached.');
      expect(classifyDependencyFailure(refused)?.dependency).toBe('mysql');
    } finally {
      held.release();
      // Each waiter in turn gets the one connection and hands it on.
      await Promise.all(waiting.map(async (waiter) => (await waiter).release()));
    }
  });

  it('server-side interruptions are dependency failures too: lock wait timeout, max_statement_time', async () => {
    const p = pool({ connectionLimit: 2 });
    const holder = await p.getConnection();
    const waiter = await p.getConnection();
    try {
      await holder.beginTransaction();
      await holder.query('SELECT n FROM counters WHERE id = 1 FOR UPDATE');
      await waiter.query('SET SESSION innodb_lock_wait_timeout = 1');
      await waiter.beginTransaction();
      const lockWait = await rejectionOf(waiter.query('UPDATE counters SET n = n + 1 WHERE id = 1'));
      expect(codeOf(lockWait)).toBe('ER_LOCK_WAIT_TIMEOUT');
      expect(classifyDependencyFailure(lockWait)?.dependency).toBe('mysql');
      await waiter.rollback();
      await holder.rollback();

      const interrupted = await rejectionOf(
        waiter.query('SET STATEMENT max_statement_time = 0.05 FOR SELECT SLEEP(2)'),
      );
      expect((interrupted as { errno?: unknown }).errno).toBe(1969);
      expect(classifyDependencyFailure(interrupted)?.dependency).toBe('mysql');
    } finally {
      holder.release();
      waiter.release();
    }
  });
});
