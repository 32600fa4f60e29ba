import { jobGuard, routeGuard, verifierFrom } from '@couponkill/auth';
import type { ConfigStore } from '@couponkill/config';
import { CouponStore } from '@couponkill/coupons';
import { checkDependencies } from '@couponkill/health';
import { closeAll, createFunctionKit, type FunctionApp } from '@couponkill/http';
import { OrderStore } from '@couponkill/orders';
import { assertNoEviction, createRedis, type RedisClient } from '@couponkill/redis';
import { Sale } from '@couponkill/sale';
import type { CreateOrderConfig, createOrderConfigSchema } from './config.js';
import { DeadLetterIndex, orderLookup, type RedriveDeps } from './dead-letters.js';
import { createOrderRoutes } from './handlers.js';
import { cachedTerms } from './terms.js';
import { OrderWriter } from './writer.js';

export const FUNCTION_NAME = 'create-order';

/** A grab event delivered by the KafkaSource or its dead-letter sink, or a redrive request. */
export const MAX_BODY_BYTES = 16 * 1024;

/** The order worker's stores and writer, shared by the function and the `make redrive` command. */
export interface OrderWorker {
  readonly orders: OrderStore;
  readonly redis: RedisClient;
  readonly writer: OrderWriter;
  readonly deadLetters: DeadLetterIndex;
  readonly redrive: RedriveDeps;
  close(): Promise<void>;
}

/** Buckets of the batch-size histogram: from single deliveries up to the largest batch. */
const BATCH_SIZE_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000];

/** Connections per order database: each batch in flight holds one in every database it writes to. */
const ORDER_CONNECTIONS = 20;
/** Coupon terms are read once per coupon and cached, so a few connections are plenty. */
const COUPON_CONNECTIONS = 4;

export function openOrderWorker(
  settings: CreateOrderConfig,
  options: { name?: string; onBatch?: (size: number) => void; connections?: number } = {},
): OrderWorker {
  const orders = OrderStore.open(
    settings.mysqlUrl,
    settings.orderSharding,
    options.connections ?? ORDER_CONNECTIONS,
    settings.mysqlPool,
  );
  const coupons = CouponStore.open(settings.mysqlUrl, settings.couponsDatabase, COUPON_CONNECTIONS, settings.mysqlPool);
  const redis = createRedis(settings.redis, options.name ?? FUNCTION_NAME);
  const sale = new Sale(redis);
  const terms = cachedTerms(async (couponId) => coupons.get(couponId), settings.termsCacheSeconds * 1000);
  const writer = new OrderWriter({
    ...(options.onBatch === undefined ? {} : { onBatch: options.onBatch }),
    orders,
    sale,
    terms,
    maxBatch: settings.batch.maxItems,
    maxWaitMs: settings.batch.maxWaitMs,
  });
  const deadLetters = new DeadLetterIndex(redis);
  return {
    orders,
    redis,
    writer,
    deadLetters,
    redrive: {
      index: deadLetters,
      sale,
      replay: (grab) => writer.write(grab),
      orderOf: orderLookup(orders, settings.orderSharding),
    },
    close: closeAll(orders, coupons, redis),
  };
}

/** The order worker: the sink of the KafkaSource on `coupon.grab.accepted`, and its dead-letter sink. */
export async function createCreateOrder(config: ConfigStore<typeof createOrderConfigSchema>): Promise<FunctionApp> {
  const kit = createFunctionKit(FUNCTION_NAME);
  const { metrics, health } = kit;
  const settings = config.current;
  if (settings.migrateOnStart) await OrderStore.migrate(settings.mysqlUrl, settings.orderSharding);
  const batchSize = metrics.histogram(
    'couponkill_order_batch_size',
    'Deliveries written in one batch',
    [],
    BATCH_SIZE_BUCKETS,
  );
  const worker = openOrderWorker(settings, { onBatch: (size) => batchSize.observe(size) });
  await assertNoEviction(worker.redis);
  const deadLetters = metrics.counter(
    'couponkill_dead_letters_total',
    'Grabs recorded in their coupon’s dead-letter index (the order worker never took their event)',
  );
  const redriven = metrics.counter('couponkill_redriven_total', 'Dead-lettered grabs re-driven, by outcome', [
    'outcome',
  ]);
  const verify = verifierFrom(settings.auth);

  checkDependencies(health, { redis: worker.redis, stores: [worker.orders] });
  const handler = kit.handler({
    authorize: routeGuard(verify, jobGuard(verify, settings.jobToken)),
    routes: createOrderRoutes({
      ...worker,
      onDeadLetter: () => deadLetters.inc(),
      onRedrive: (report) => {
        redriven.inc({ outcome: 'ordered' }, report.ordered);
        redriven.inc({ outcome: 'failed' }, report.failed);
        redriven.inc({ outcome: 'already_settled' }, report.alreadySettled);
        redriven.inc({ outcome: 'kept' }, report.kept.length);
      },
    }),
    maxBodyBytes: MAX_BODY_BYTES,
  });
  return { handler, close: () => worker.close() };
}
