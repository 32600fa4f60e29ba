import { AppError } from '@couponkill/errors';
import { migrateDatabase, openDatabasePool, type PoolSize, packageMigrations, type Pool } from '@couponkill/db';
import type { ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { ulid } from 'ulid';
import { shardOf, type UserSharding } from './sharding.js';

export type UserRole = 'user' | 'admin';

/** A user as every function may see it: never the password hash. */
export interface User {
  readonly id: string;
  readonly username: string;
  readonly email: string | null;
  readonly phone: string | null;
  readonly roles: readonly UserRole[];
  readonly status: 'active' | 'disabled';
  readonly createdAt: string;
}

/** The JSON shape of a user in every response. */
export function publicProfile(user: User) {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    phone: user.phone,
    roles: user.roles,
    createdAt: user.createdAt,
  };
}

export interface UserWithSecret extends User {
  readonly passwordHash: string;
}

export interface NewUser {
  readonly username: string;
  readonly passwordHash: string;
  readonly email?: string | undefined;
  readonly phone?: string | undefined;
  readonly roles: readonly UserRole[];
}

interface UserRow extends RowDataPacket {
  id: string;
  username: string;
  password_hash: string;
  email: string | null;
  phone: string | null;
  roles: string;
  status: 'active' | 'disabled';
  created_at: Date;
}

/**
 * Users sharded by id over MySQL databases, plus a username → id index with a UNIQUE key, which
 * is what keeps usernames unique across shards (each shard alone could not).
 */
export class UserStore {
  readonly #index: Pool;
  readonly #shards: readonly Pool[];

  private constructor(index: Pool, shards: readonly Pool[]) {
    this.#index = index;
    this.#shards = shards;
  }

  /** Connects to the index and every shard database named by the sharding rule. */
  static open(mysqlUrl: string, sharding: UserSharding, ...size: PoolSize): UserStore {
    const index = openDatabasePool(mysqlUrl, sharding.indexDatabase, ...size);
    const shards = sharding.shards.map((shard) => openDatabasePool(shard.url ?? mysqlUrl, shard.database, ...size));
    return new UserStore(index, shards);
  }

  /** Creates the databases if needed and applies the versioned migrations to each (idempotent). */
  static async migrate(mysqlUrl: string, sharding: UserSharding): Promise<void> {
    const targets = [
      { url: mysqlUrl, database: sharding.indexDatabase, subdir: 'index' },
      ...sharding.shards.map((s) => ({ url: s.url ?? mysqlUrl, database: s.database, subdir: 'shard' })),
    ];
    for (const { url, database, subdir } of targets)
      await migrateDatabase(url, database, packageMigrations(import.meta.url, { subdir }));
  }

  get pools(): readonly Pool[] {
    return [this.#index, ...this.#shards];
  }

  /** Each pool with a name for health checks: `mysql-users-index`, `mysql-users-0`, … */
  namedPools(): Array<[string, Pool]> {
    return [
      ['mysql-users-index', this.#index],
      ...this.#shards.map((pool, i): [string, Pool] => [`mysql-users-${i}`, pool]),
    ];
  }

  #shardFor(userId: string): Pool {
    const pool = this.#shards[shardOf(userId, this.#shards.length)];
    if (pool === undefined) throw new Error('no user shards configured');
    return pool;
  }

  /** Creates a user; ALREADY_EXISTS (409) when the username is taken on any shard. */
  async create(user: NewUser): Promise<User> {
    const id = ulid();
    try {
      await this.#index.query('INSERT INTO usernames (username, user_id) VALUES (?, ?)', [user.username, id]);
    } catch (err) {
      if ((err as { code?: string }).code === 'ER_DUP_ENTRY') {
        throw new AppError('ALREADY_EXISTS', 'This username is taken.', { cause: err });
      }
      throw err;
    }
    try {
      await this.#shardFor(id).query(
        'INSERT INTO users (id, username, password_hash, email, phone, roles) VALUES (?, ?, ?, ?, ?, ?)',
        [id, user.username, user.passwordHash, user.email ?? null, user.phone ?? null, user.roles.join(',')],
      );
    } catch (err) {
      // Give the username back; a crash right here leaves an index row without a user, which
      // lookups treat as "no such user" and the audit job removes.
      await this.#index
        .query('DELETE FROM usernames WHERE username = ? AND user_id = ?', [user.username, id])
        .catch(() => undefined);
      throw err;
    }
    const created = await this.findById(id);
    if (created === undefined) throw new Error(`user ${id} vanished right after insert`);
    return created;
  }

  async findByUsername(username: string): Promise<UserWithSecret | undefined> {
    const [rows] = await this.#index.query<RowDataPacket[]>('SELECT user_id FROM usernames WHERE username = ?', [
      username,
    ]);
    const id = rows[0]?.['user_id'] as string | undefined;
    return id === undefined ? undefined : this.#byId(id);
  }

  /**
   * Replaces a user's password hash only if it is still `expected` (a rehash at login must not
   * overwrite a password changed meanwhile). True when it was replaced.
   */
  async replacePasswordHash(id: string, expected: string, next: string): Promise<boolean> {
    const [result] = await this.#shardFor(id).query<ResultSetHeader>(
      'UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?',
      [next, id, expected],
    );
    return result.affectedRows === 1;
  }

  async findById(id: string): Promise<User | undefined> {
    const user = await this.#byId(id);
    if (user === undefined) return undefined;
    const { passwordHash: _secret, ...visible } = user;
    return visible;
  }

  async #byId(id: string): Promise<UserWithSecret | undefined> {
    if (!/^[0-9A-HJKMNP-TV-Z]{26}$/.test(id)) return undefined; // not a ULID: no query needed
    const [rows] = await this.#shardFor(id).query<UserRow[]>('SELECT * FROM users WHERE id = ?', [id]);
    const row = rows[0];
    return row === undefined ? undefined : toUser(row);
  }

  async close(): Promise<void> {
    await Promise.all(this.pools.map((pool) => pool.end()));
  }
}

function toUser(row: UserRow): UserWithSecret {
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    phone: row.phone,
    roles: row.roles.split(',').filter((r): r is UserRole => r === 'user' || r === 'admin'),
    status: row.status,
    createdAt: row.created_at.toISOString(),
    passwordHash: row.password_hash,
  };
}
