import { z } from 'zod';

const databaseName = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'a database name: lower-case letters, digits, _');

/**
 * `order-sharding.yaml`: orders are spread by user over `databases` × `tablesPerDatabase` tables
 * (`orders_0` …). All orders of a user sit in one table, so "my orders" is a single-table query.
 * The layout is fixed once orders exist: growing it needs a planned migration of rows.
 */
export const orderShardingSchema = z.object({
  databases: z
    .array(z.object({ database: databaseName, url: z.url().optional() }))
    .min(1)
    .default([{ database: 'couponkill_orders_0' }, { database: 'couponkill_orders_1' }]),
  tablesPerDatabase: z.number().int().min(1).max(64).default(4),
});
export type OrderSharding = z.output<typeof orderShardingSchema>;

export interface OrderLocation {
  readonly database: number;
  readonly table: string;
}

/** FNV-1a of the user id picks one of databases × tables, evenly. */
export function locateUser(
  userId: string,
  sharding: Pick<OrderSharding, 'databases' | 'tablesPerDatabase'>,
): OrderLocation {
  let hash = 0x811c9dc5;
  for (let i = 0; i < userId.length; i++) {
    hash ^= userId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  const slots = sharding.databases.length * sharding.tablesPerDatabase;
  const slot = hash % slots;
  return {
    database: slot % sharding.databases.length,
    table: `orders_${Math.floor(slot / sharding.databases.length)}`,
  };
}
