import type { AuditDeps } from '@couponkill/audit';
import type { ConfigStore } from '@couponkill/config';
import { CouponStore } from '@couponkill/coupons';
import { consumerLag, createKafka } from '@couponkill/events';
import { OrderStore } from '@couponkill/orders';
import { assertNoEviction, createRedis } from '@couponkill/redis';
import { Sale } from '@couponkill/sale';
import type { auditConfigSchema } from './config.js';

/** The stores an audit reads and repairs, shared by the job function and the command. */
export async function connectAuditDeps(
  config: ConfigStore<typeof auditConfigSchema>,
): Promise<AuditDeps & { close(): Promise<void> }> {
  const s = config.current;
  const coupons = CouponStore.open(s.mysqlUrl, s.couponsDatabase, 2, s.mysqlPool);
  const orders = OrderStore.open(s.mysqlUrl, s.orderSharding, 2, s.mysqlPool);
  const redis = createRedis(s.redis, 'audit');
  await assertNoEviction(redis);
  const admin = createKafka({ brokers: s.kafkaBrokers, clientId: 'audit', security: s.kafkaSecurity }).admin();
  await admin.connect();
  return {
    coupons,
    orders,
    sale: new Sale(redis),
    consumerLag: async () => (await consumerLag(admin, s.orderWorkerGroup, s.topic)).total,
    async close() {
      await admin.disconnect();
      await Promise.all([coupons.close(), orders.close()]);
      redis.disconnect();
    },
  };
}
