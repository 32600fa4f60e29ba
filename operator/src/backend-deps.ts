import { CouponStore } from '@couponkill/coupons';
import { consumerLag, createKafka } from '@couponkill/events';
import { OrderStore } from '@couponkill/orders';
import { createRedis } from '@couponkill/redis';
import { Sale } from '@couponkill/sale';
import type { OperatorConfig } from './config.js';
import { SaleBackend } from './sale-backend.js';

/** Connects the stores a sale is run on; `close` disconnects them. */
export async function connectSaleBackend(
  s: Pick<
    OperatorConfig,
    | 'mysqlUrl'
    | 'couponsDatabase'
    | 'orderSharding'
    | 'redis'
    | 'kafkaBrokers'
    | 'kafkaSecurity'
    | 'orderWorkerGroup'
    | 'topic'
    | 'outboxRegistry'
  >,
): Promise<{ backend: SaleBackend; close(): Promise<void> }> {
  const coupons = CouponStore.open(s.mysqlUrl, s.couponsDatabase, 2);
  const orders = OrderStore.open(s.mysqlUrl, s.orderSharding, 2);
  const redis = createRedis(s.redis, 'operator');
  const admin = createKafka({ brokers: s.kafkaBrokers, clientId: 'operator', security: s.kafkaSecurity }).admin();
  await admin.connect();
  const backend = new SaleBackend({
    coupons,
    orders,
    sale: new Sale(redis, { outboxRegistry: s.outboxRegistry }),
    consumerLag: async () => (await consumerLag(admin, s.orderWorkerGroup, s.topic)).total,
  });
  return {
    backend,
    async close() {
      await admin.disconnect();
      await Promise.all([coupons.close(), orders.close()]);
      redis.disconnect();
    },
  };
}
