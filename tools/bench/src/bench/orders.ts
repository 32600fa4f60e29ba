import {
  type NewOrder,
  ORDER_INSERT_COLUMNS,
  orderInsertRow,
  OrderStore,
  locateUser,
  orderShardingSchema,
} from '@couponkill/orders';
import { ulid as newUlid } from 'ulid';
import { cpuSeconds, readProcCpu } from './load.js';

export interface WriteRate {
  readonly orders: number;
  readonly seconds: number;
  readonly perSecond: number;
  /** CPU per order of this process (the client: mysql2, the store, the pools), µs. */
  readonly clientCpuMicrosPerOrder: number;
  /** CPU per order of the MariaDB server (/proc/<pid>/stat), µs; undefined without its pid. */
  readonly serverCpuMicrosPerOrder: number | undefined;
}

/** One round: the batch side, then the single-row side, into the same tables. */
export interface OrderRound {
  readonly batch: WriteRate;
  readonly singleRow: WriteRate;
}

/** MariaDB's durability settings, the same for both sides (one server, one configuration). */
export interface Durability {
  readonly innodbFlushLogAtTrxCommit: number;
  readonly syncBinlog: number;
  readonly logBin: boolean;
}

export interface OrderBenchResult {
  readonly durability: Durability;
  readonly batchSize: number;
  readonly concurrentBatches: number;
  readonly singleRowWorkers: number;
  readonly rounds: readonly OrderRound[];
}

function ordersFor(count: number, users: number): NewOrder[] {
  const couponId = newUlid();
  const now = new Date();
  const validUntil = new Date(now.getTime() + 7 * 86_400_000);
  return Array.from({ length: count }, (_, i) => ({
    grabId: `${couponId}_${newUlid()}`,
    userId: `bench-user-${i % users}`,
    couponId,
    seq: i + 1,
    faceValueCents: 1000,
    minSpendCents: 0,
    validUntil,
    acceptedAt: now,
  }));
}

/** Runs `work(i)` for i in [0, count) on `workers` concurrent loops. */
async function pool(count: number, workers: number, work: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

async function timed(orders: number, serverPid: number | undefined, fn: () => Promise<void>): Promise<WriteRate> {
  const serverBefore = serverPid === undefined ? undefined : cpuSeconds(readProcCpu(serverPid));
  const clientBefore = process.cpuUsage();
  const started = performance.now();
  await fn();
  const seconds = (performance.now() - started) / 1000;
  const client = process.cpuUsage(clientBefore);
  const serverAfter = serverPid === undefined ? undefined : cpuSeconds(readProcCpu(serverPid));
  return {
    orders,
    seconds,
    perSecond: orders / seconds,
    clientCpuMicrosPerOrder: (client.user + client.system) / orders,
    serverCpuMicrosPerOrder:
      serverBefore === undefined || serverAfter === undefined
        ? undefined
        : ((serverAfter - serverBefore) * 1e6) / orders,
  };
}

/**
 * Orders into sharded MariaDB (2 databases × 4 tables, 4 connections per database):
 * `OrderStore.insertBatch` with batches of `batchSize` (as many batches in flight as connections
 * per database) against one autocommitted single-row INSERT per order through the same pools (as
 * many loops as connections in all), on the same server: the same durability on both sides.
 * `rounds` rounds of both, each side's CPU per order read for this process and, given its pid, for
 * the server.
 */
export async function benchOrders(
  mysqlUrl: string,
  options: { count: number; batchSize: number; rounds: number; serverPid?: number; log: (line: string) => void },
): Promise<OrderBenchResult> {
  const sharding = orderShardingSchema.parse({
    databases: [{ database: 'ckbench_orders_0' }, { database: 'ckbench_orders_1' }],
    tablesPerDatabase: 4,
  });
  const perDatabase = 4;
  await OrderStore.migrate(mysqlUrl, sharding);
  const store = OrderStore.open(mysqlUrl, sharding, perDatabase);
  const pools = store.namedPools().map(([, p]) => p);
  const singleRowWorkers = perDatabase * pools.length;
  try {
    const first = pools[0];
    if (first === undefined) throw new Error('no order database');
    const [rows] = await first.query(
      'SELECT @@innodb_flush_log_at_trx_commit AS flush, @@sync_binlog AS sync, @@log_bin AS bin',
    );
    const row = (rows as Array<{ flush: number | string; sync: number | string; bin: number | string }>)[0];
    const durability: Durability = {
      innodbFlushLogAtTrxCommit: Number(row?.flush),
      syncBinlog: Number(row?.sync),
      logBin: Number(row?.bin) === 1,
    };
    const writeBatches = async (orders: NewOrder[]) => {
      const batches = Math.ceil(orders.length / options.batchSize);
      await pool(batches, perDatabase, async (b) => {
        const written = await store.insertBatch(orders.slice(b * options.batchSize, (b + 1) * options.batchSize));
        if (written.size === 0) throw new Error('insertBatch wrote nothing');
      });
    };
    // One order per transaction at its cheapest: a single autocommitted INSERT is one transaction
    // and one durable commit (innodb_flush_log_at_trx_commit=1), as BEGIN + INSERT + COMMIT is,
    // without two extra statements and round trips that batching would then get credit for.
    const writeSingle = async (orders: NewOrder[]) => {
      await pool(orders.length, singleRowWorkers, async (i) => {
        const o = orders[i];
        if (o === undefined) return;
        const where = locateUser(o.userId, sharding);
        const target = pools[where.database];
        if (target === undefined) throw new Error('no pool');
        await target.query(`INSERT INTO ${where.table} (${ORDER_INSERT_COLUMNS}) VALUES (?)`, [orderInsertRow(o)]);
      });
    };
    // Warm-up: connections opened, tables and buffer pool touched by both paths.
    await writeBatches(ordersFor(options.batchSize * perDatabase, 5000));
    await writeSingle(ordersFor(500, 5000));

    const rounds: OrderRound[] = [];
    for (let round = 1; round <= options.rounds; round++) {
      options.log(
        `orders, round ${round}/${options.rounds}: ${options.count} with insertBatch (batches of ${options.batchSize}), then ${options.count} one row per transaction…`,
      );
      const batchOrders = ordersFor(options.count, 5000);
      const batch = await timed(batchOrders.length, options.serverPid, () => writeBatches(batchOrders));
      const singleOrders = ordersFor(options.count, 5000);
      const singleRow = await timed(singleOrders.length, options.serverPid, () => writeSingle(singleOrders));
      rounds.push({ batch, singleRow });
    }
    return { durability, batchSize: options.batchSize, concurrentBatches: perDatabase, singleRowWorkers, rounds };
  } finally {
    await store.close();
  }
}
