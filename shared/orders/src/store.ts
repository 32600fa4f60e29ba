import { migrateDatabase, openDatabasePool, type PoolSize, packageMigrations, type Pool } from '@couponkill/db';
import type { ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { newId } from '@couponkill/ids';
import { locateUser, type OrderSharding } from './sharding.js';

export type OrderStatus = 'UNUSED' | 'USED' | 'CANCELLED' | 'EXPIRED';

/** An order to write for an accepted grab. */
export interface NewOrder {
  readonly grabId: string;
  readonly userId: string;
  readonly couponId: string;
  readonly seq: number;
  readonly faceValueCents: number;
  readonly minSpendCents: number;
  readonly validUntil: Date;
  readonly acceptedAt: Date;
}

export interface Order extends NewOrder {
  readonly id: string;
  readonly status: OrderStatus;
  readonly createdAt: Date;
}

interface OrderRow extends RowDataPacket {
  id: string;
  grab_id: string;
  user_id: string;
  coupon_id: string;
  seq: number;
  status: OrderStatus;
  face_value_cents: number;
  min_spend_cents: number;
  valid_until: Date;
  accepted_at: Date;
  created_at: Date;
}

/**
 * Ids are stored as ASCII and compared byte for byte (migration 0003): a lookup value with a
 * character outside printable ASCII names no order, and is answered as such without a query
 * (MariaDB refuses to compare a non-ASCII value with an ASCII column). Every caller passes
 * validated ids; this keeps a stray one from becoming an error.
 */
const ASCII = /^[ -~]*$/;
const storable = (...ids: readonly string[]) => ids.every((id) => ASCII.test(id));

/** A new order id: a ULID (time-ordered, 80 random bits). */
export function newOrderId(): string {
  return newId();
}

/** The columns an order is inserted with, and the row for one order: what every writer sends. */
export const ORDER_INSERT_COLUMNS =
  'id, grab_id, user_id, coupon_id, seq, face_value_cents, min_spend_cents, valid_until, accepted_at';
export function orderInsertRow(o: NewOrder, id: string = newOrderId()): unknown[] {
  return [id, o.grabId, o.userId, o.couponId, o.seq, o.faceValueCents, o.minSpendCents, o.validUntil, o.acceptedAt];
}

/** Orders sharded by user over databases × tables (see sharding.ts). */
export class OrderStore {
  readonly #pools: readonly Pool[];
  readonly #sharding: OrderSharding;

  private constructor(pools: readonly Pool[], sharding: OrderSharding) {
    this.#pools = pools;
    this.#sharding = sharding;
  }

  static open(mysqlUrl: string, sharding: OrderSharding, ...size: PoolSize): OrderStore {
    const pools = sharding.databases.map((db) => openDatabasePool(db.url ?? mysqlUrl, db.database, ...size));
    return new OrderStore(pools, sharding);
  }

  /** Creates each database if needed and applies the migrations, rendered for every table. */
  static async migrate(mysqlUrl: string, sharding: OrderSharding): Promise<void> {
    const tables = Array.from({ length: sharding.tablesPerDatabase }, (_, n) => n);
    const render = (sql: string) => tables.map((n) => sql.replaceAll('{{n}}', String(n))).join('\n');
    for (const db of sharding.databases)
      await migrateDatabase(db.url ?? mysqlUrl, db.database, packageMigrations(import.meta.url, { render }));
  }

  namedPools(): Array<[string, Pool]> {
    return this.#pools.map((pool, i): [string, Pool] => [`mysql-orders-${i}`, pool]);
  }

  /** Every (database, table) pair, for queries that must look everywhere (counts, expiry). */
  #everyTable(): Array<{ pool: Pool; table: string }> {
    return this.#pools.flatMap((pool) =>
      Array.from({ length: this.#sharding.tablesPerDatabase }, (_, n) => ({ pool, table: `orders_${n}` })),
    );
  }

  #locate(userId: string): { pool: Pool; table: string } {
    const where = locateUser(userId, this.#sharding);
    const pool = this.#pools[where.database];
    if (pool === undefined) throw new Error('no order databases configured');
    return { pool, table: where.table };
  }

  /**
   * Writes orders for many grabs: one multi-row INSERT per table inside one transaction per
   * database (the databases in parallel). A grab written before (a redelivered event) keeps its
   * first order: a duplicate key changes nothing (`ON DUPLICATE KEY UPDATE id = id`), while every
   * other problem (a value out of range, a truncation) is an error, never a warning that stores a
   * wrong value as `INSERT IGNORE` would. Returns grabId → orderId for every grab that has an
   * order now; a grab missing from the result could not be written (its seq was taken).
   *
   * When the server reports that every row of a table's INSERT was new, the ids are the ones just
   * sent; only a table whose INSERT met a duplicate is read back (after the commit) to learn which
   * grabs already had an order and which lost their seq.
   */
  async insertBatch(orders: readonly NewOrder[]): Promise<Map<string, string>> {
    const byDatabase = new Map<Pool, Map<string, NewOrder[]>>();
    for (const order of orders) {
      const { pool, table } = this.#locate(order.userId);
      let tables = byDatabase.get(pool);
      if (tables === undefined) byDatabase.set(pool, (tables = new Map<string, NewOrder[]>()));
      const rows = tables.get(table);
      if (rows === undefined) tables.set(table, [order]);
      else rows.push(order);
    }
    const written = new Map<string, string>();
    await Promise.all(
      [...byDatabase].map(async ([pool, tables]) => {
        const inserted: Array<[string, string]> = [];
        const readBack: Array<[string, NewOrder[]]> = [];
        const connection = await pool.getConnection();
        try {
          await connection.beginTransaction();
          for (const [table, rows] of tables) {
            const ids = rows.map(() => newOrderId());
            const [result] = await connection.query<ResultSetHeader>(
              `INSERT INTO ${table} (${ORDER_INSERT_COLUMNS}) VALUES ? ON DUPLICATE KEY UPDATE id = id`,
              [rows.map((o, i) => orderInsertRow(o, ids[i]))],
            );
            if (allNew(result, rows.length)) rows.forEach((o, i) => inserted.push([o.grabId, ids[i] as string]));
            else readBack.push([table, rows]);
          }
          await connection.commit();
          for (const [grabId, id] of inserted) written.set(grabId, id);
          for (const [table, rows] of readBack) {
            const [found] = await connection.query<RowDataPacket[]>(
              `SELECT id, grab_id FROM ${table} WHERE grab_id IN (?)`,
              [rows.map((o) => o.grabId)],
            );
            for (const row of found) written.set(row['grab_id'] as string, row['id'] as string);
          }
        } catch (err) {
          await connection.rollback().catch(() => undefined);
          throw err;
        } finally {
          connection.release();
        }
      }),
    );
    return written;
  }

  async get(userId: string, orderId: string): Promise<Order | undefined> {
    if (!storable(userId, orderId)) return undefined;
    const { pool, table } = this.#locate(userId);
    const [rows] = await pool.query<OrderRow[]>(`SELECT * FROM ${table} WHERE id = ? AND user_id = ?`, [
      orderId,
      userId,
    ]);
    return rows[0] === undefined ? undefined : toOrder(rows[0]);
  }

  /** A user's orders, newest first, `limit` at a time after `cursor` (an order id). */
  async listForUser(
    userId: string,
    page: { limit: number; cursor?: string | undefined },
  ): Promise<{ items: Order[]; nextCursor: string | null }> {
    if (!storable(userId, page.cursor ?? '')) return { items: [], nextCursor: null };
    const { pool, table } = this.#locate(userId);
    const [rows] = await pool.query<OrderRow[]>(
      `SELECT * FROM ${table} WHERE user_id = ? ${page.cursor === undefined ? '' : 'AND id < ?'} ORDER BY id DESC LIMIT ?`,
      page.cursor === undefined ? [userId, page.limit + 1] : [userId, page.cursor, page.limit + 1],
    );
    const items = rows.slice(0, page.limit).map(toOrder);
    return { items, nextCursor: rows.length > page.limit ? (items.at(-1)?.id ?? null) : null };
  }

  /**
   * Moves an order from one status to another; true only for the one caller whose UPDATE changed
   * the row, so concurrent cancels release stock once.
   */
  async transition(userId: string, orderId: string, from: OrderStatus, to: OrderStatus): Promise<boolean> {
    if (!storable(userId, orderId)) return false;
    const { pool, table } = this.#locate(userId);
    const [result] = await pool.query(`UPDATE ${table} SET status = ? WHERE id = ? AND user_id = ? AND status = ?`, [
      to,
      orderId,
      userId,
      from,
    ]);
    return (result as { affectedRows: number }).affectedRows === 1;
  }

  /** Unused orders of a coupon, over every shard (a coupon with live orders must not be deleted). */
  async countLive(couponId: string): Promise<number> {
    return (await this.countByStatus(couponId)).UNUSED;
  }

  async countByStatus(couponId: string): Promise<Record<OrderStatus, number>> {
    const counts: Record<OrderStatus, number> = { UNUSED: 0, USED: 0, CANCELLED: 0, EXPIRED: 0 };
    if (!storable(couponId)) return counts;
    await Promise.all(
      this.#everyTable().map(async ({ pool, table }) => {
        const [rows] = await pool.query<RowDataPacket[]>(
          `SELECT status, COUNT(*) AS n FROM ${table} WHERE coupon_id = ? GROUP BY status`,
          [couponId],
        );
        for (const row of rows) counts[row['status'] as OrderStatus] += Number(row['n']);
      }),
    );
    return counts;
  }

  /**
   * Up to `limit` UNUSED orders whose `valid_until` is at or before `now`, earliest first, over
   * every (database, table). Each table answers from `ix_orders_N_expiry (status, valid_until)`
   * with at most `limit` rows, so one call reads at most tables × limit rows.
   */
  async findExpired(limit: number, now: Date = new Date()): Promise<Order[]> {
    const parts = await Promise.all(
      this.#everyTable().map(async ({ pool, table }) => {
        const [rows] = await pool.query<OrderRow[]>(
          `SELECT * FROM ${table} WHERE status = 'UNUSED' AND valid_until <= ? ORDER BY valid_until LIMIT ?`,
          [now, limit],
        );
        return rows.map(toOrder);
      }),
    );
    return parts
      .flat()
      .sort((a, b) => a.validUntil.getTime() - b.validUntil.getTime())
      .slice(0, limit);
  }

  /** Every order of a coupon (audits and invariant checks; bounded by the coupon's stock). */
  async allForCoupon(couponId: string): Promise<Order[]> {
    if (!storable(couponId)) return [];
    const parts = await Promise.all(
      this.#everyTable().map(async ({ pool, table }) => {
        const [rows] = await pool.query<OrderRow[]>(`SELECT * FROM ${table} WHERE coupon_id = ?`, [couponId]);
        return rows.map(toOrder);
      }),
    );
    return parts.flat();
  }

  async close(): Promise<void> {
    await Promise.all(this.#pools.map((pool) => pool.end()));
  }
}

/**
 * True when a multi-row `INSERT … ON DUPLICATE KEY UPDATE id = id` of `rows` rows inserted every
 * one of them. The server's info line counts the rows that met a duplicate ("Duplicates: n": with
 * CLIENT_FOUND_ROWS, as mysql2 connects, every such row; without it only changed ones, and then
 * affectedRows counts just the inserted rows). A single-row INSERT has no info line: false, so it
 * is read back.
 */
function allNew(result: ResultSetHeader, rows: number): boolean {
  const duplicates = /Duplicates: (\d+)/.exec(result.info)?.[1];
  return duplicates === '0' && result.affectedRows === rows;
}

function toOrder(row: OrderRow): Order {
  return {
    id: row.id,
    grabId: row.grab_id,
    userId: row.user_id,
    couponId: row.coupon_id,
    seq: Number(row.seq),
    status: row.status,
    faceValueCents: Number(row.face_value_cents),
    minSpendCents: Number(row.min_spend_cents),
    validUntil: row.valid_until,
    acceptedAt: row.accepted_at,
    createdAt: row.created_at,
  };
}
