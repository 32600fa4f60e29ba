import {
  migrateDatabase,
  openDatabasePool,
  type PoolSize,
  packageMigrations,
  type Pool,
  type PoolConnection,
  withTransaction,
} from '@couponkill/db';
import { isCouponId } from '@couponkill/sale';
import type { RowDataPacket } from 'mysql2/promise';
import { monotonicFactory } from 'ulid';
import type { Coupon, CouponPatch, NewCoupon } from './coupon.js';
import { couponsDatabaseSchema } from './database.js';

interface CouponRow extends RowDataPacket {
  id: string;
  name: string;
  type: Coupon['type'];
  face_value_cents: number;
  min_spend_cents: number;
  valid_days: number;
  per_user_limit: number;
  total_stock: number;
  start_at: Date | null;
  end_at: Date | null;
  status: Coupon['status'];
  created_at: Date;
  updated_at: Date;
}

export interface CouponPage {
  readonly items: readonly Coupon[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  readonly nextCursor: string | null;
}

/**
 * Runs after the row is written and locked, before the commit: where the sale state in Redis is
 * written. Throwing rolls the MySQL change back, so a refusal there leaves MySQL unchanged.
 */
export type BeforeCommit<A extends unknown[]> = (...args: A) => Promise<void>;

const COLUMNS =
  'id, name, type, face_value_cents, min_spend_cents, valid_days, per_user_limit, total_stock, start_at, end_at, status, created_at, updated_at';
// Monotonic, so coupons created in the same millisecond still list newest first.
const nextId = monotonicFactory();

/** Coupon definitions in one MySQL database. Deleting keeps the row (orders name it); reads skip it. */
export class CouponStore {
  readonly #pool: Pool;

  private constructor(pool: Pool) {
    this.#pool = pool;
  }

  static open(mysqlUrl: string, database: string, ...size: PoolSize): CouponStore {
    return new CouponStore(openDatabasePool(mysqlUrl, couponsDatabaseSchema.parse(database), ...size));
  }

  /** Creates the database if needed and applies the versioned migrations (idempotent). */
  static async migrate(mysqlUrl: string, database: string): Promise<void> {
    await migrateDatabase(mysqlUrl, couponsDatabaseSchema.parse(database), packageMigrations(import.meta.url));
  }

  get pools(): readonly Pool[] {
    return [this.#pool];
  }

  /** The pool with a name for health checks. */
  namedPools(): Array<[string, Pool]> {
    return [['mysql-coupons', this.#pool]];
  }

  /**
   * Inserts a coupon; it becomes visible to others only once `beforeCommit` has succeeded. An `id`
   * chosen by the caller (a ULID) makes a retried create findable: the sale operator records the
   * id before it creates, so a restart never creates the coupon twice.
   */
  async create(
    input: NewCoupon,
    beforeCommit?: BeforeCommit<[created: Coupon]>,
    id: string = nextId(),
  ): Promise<Coupon> {
    if (!isCouponId(id)) throw new Error(`not a coupon id: ${id}`);
    return withTransaction(this.#pool, async (connection) => {
      await connection.query(
        `INSERT INTO coupons (id, name, type, face_value_cents, min_spend_cents, valid_days, per_user_limit,
          total_stock, start_at, end_at, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          id,
          input.name,
          input.type,
          input.faceValueCents,
          input.minSpendCents,
          input.validDays,
          input.perUserLimit,
          input.totalStock,
          toDate(input.startAt),
          toDate(input.endAt),
          input.status,
        ],
      );
      const created = await lockedRow(connection, id);
      if (created === undefined) throw new Error(`coupon ${id} vanished right after insert`);
      await beforeCommit?.(created);
      return created;
    });
  }

  /** The coupon, or undefined when there is none with this id or it was deleted. */
  async get(id: string): Promise<Coupon | undefined> {
    if (!isCouponId(id)) return undefined; // not a ULID: no query needed
    const [rows] = await this.#pool.query<CouponRow[]>(
      `SELECT ${COLUMNS} FROM coupons WHERE id = ? AND deleted_at IS NULL`,
      [id],
    );
    const row = rows[0];
    return row === undefined ? undefined : toCoupon(row);
  }

  /** One page of live coupons, newest first; `cursor` is the `nextCursor` of the page before. */
  async list(options: { limit: number; cursor?: string | undefined }): Promise<CouponPage> {
    const limit = Math.max(1, Math.floor(options.limit));
    const after = options.cursor !== undefined && isCouponId(options.cursor) ? options.cursor : undefined;
    // One row more than asked tells whether another page follows, without a COUNT.
    const [rows] = await this.#pool.query<CouponRow[]>(
      `SELECT ${COLUMNS} FROM coupons WHERE deleted_at IS NULL${after === undefined ? '' : ' AND id < ?'}
        ORDER BY id DESC LIMIT ?`,
      after === undefined ? [limit + 1] : [after, limit + 1],
    );
    const items = rows.slice(0, limit).map(toCoupon);
    return { items, nextCursor: rows.length > limit ? (items.at(-1)?.id ?? null) : null };
  }

  /**
   * Applies `patch` with the row locked, so concurrent updates of one coupon (and the sale state
   * each writes in `beforeCommit`) happen one after the other. Undefined when there is no such coupon.
   */
  async update(
    id: string,
    patch: CouponPatch,
    beforeCommit?: BeforeCommit<[next: Coupon, current: Coupon]>,
  ): Promise<Coupon | undefined> {
    return this.#whileLocked(id, async (current, connection) => {
      const next: Coupon = { ...current, ...definedOnly(patch) };
      // The row first, the hook (the sale state) last: only the commit can still fail after it.
      await connection.query(
        'UPDATE coupons SET name = ?, status = ?, start_at = ?, end_at = ?, total_stock = ?, per_user_limit = ? WHERE id = ?',
        [next.name, next.status, toDate(next.startAt), toDate(next.endAt), next.totalStock, next.perUserLimit, id],
      );
      const updated = (await lockedRow(connection, id)) ?? next;
      await beforeCommit?.(updated, current);
      return updated;
    });
  }

  /** Marks the coupon deleted; false when there is no such coupon (or it was deleted before). */
  async softDelete(id: string, beforeCommit?: BeforeCommit<[current: Coupon]>): Promise<boolean> {
    const deleted = await this.#whileLocked(id, async (current, connection) => {
      await beforeCommit?.(current);
      await connection.query('UPDATE coupons SET deleted_at = CURRENT_TIMESTAMP(3) WHERE id = ?', [id]);
      return true;
    });
    return deleted === true;
  }

  /**
   * Runs `work` with the coupon's row locked and without changing it (e.g. to write the sale
   * state again), so it cannot interleave with an update or delete. Undefined when there is no such coupon.
   */
  async whileLocked<T>(id: string, work: (coupon: Coupon) => Promise<T>): Promise<T | undefined> {
    return this.#whileLocked(id, (coupon) => work(coupon));
  }

  async #whileLocked<T>(
    id: string,
    work: (coupon: Coupon, connection: PoolConnection) => Promise<T>,
  ): Promise<T | undefined> {
    if (!isCouponId(id)) return undefined;
    return withTransaction(this.#pool, async (connection) => {
      const current = await lockedRow(connection, id);
      return current === undefined ? undefined : work(current, connection);
    });
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}

/** Reads a live coupon inside a transaction, taking its row lock. */
async function lockedRow(connection: PoolConnection, id: string): Promise<Coupon | undefined> {
  const [rows] = await connection.query<CouponRow[]>(
    `SELECT ${COLUMNS} FROM coupons WHERE id = ? AND deleted_at IS NULL FOR UPDATE`,
    [id],
  );
  const row = rows[0];
  return row === undefined ? undefined : toCoupon(row);
}

function definedOnly(patch: CouponPatch): CouponPatch {
  return Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined));
}

function toDate(iso: string | null): Date | null {
  return iso === null ? null : new Date(iso);
}

function toCoupon(row: CouponRow): Coupon {
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    faceValueCents: Number(row.face_value_cents),
    minSpendCents: Number(row.min_spend_cents),
    validDays: Number(row.valid_days),
    perUserLimit: Number(row.per_user_limit),
    totalStock: Number(row.total_stock),
    startAt: row.start_at?.toISOString() ?? null,
    endAt: row.end_at?.toISOString() ?? null,
    status: row.status,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
