import { createPool, type Pool } from '@couponkill/db';
import { createKafka } from '@couponkill/events';
import { NacosConfig } from '@couponkill/nacos';
import { createRedis, type RedisClient, redisOptionsSchema } from '@couponkill/redis';
import type { Admin } from 'kafkajs';
import type { Endpoints } from '@couponkill/servers';

/** The Nacos namespace of make dev (its functions and its tools read and publish there). */
export const DEV_NACOS_NAMESPACE = 'dev';

/** Clients the local runtime itself uses to watch the servers it started. */
export interface RuntimeClients {
  readonly redis: RedisClient;
  readonly mysql: Pool;
  readonly kafkaAdmin: Admin;
  readonly nacos: NacosConfig;
  close(): Promise<void>;
}

export async function connectRuntimeClients(endpoints: Endpoints): Promise<RuntimeClients> {
  const redis = createRedis(redisOptionsSchema.parse({ url: endpoints.redisUrl }), 'local-runtime');
  const mysql = createPool({ url: endpoints.mysqlUrl, connectionLimit: 2 });
  const kafkaAdmin = createKafka({ brokers: endpoints.kafkaBrokers, clientId: 'local-runtime' }).admin();
  await kafkaAdmin.connect();
  const nacos = await NacosConfig.connect({ ...endpoints.nacos, namespace: DEV_NACOS_NAMESPACE });
  return {
    redis,
    mysql,
    kafkaAdmin,
    nacos,
    async close() {
      nacos.close();
      await kafkaAdmin.disconnect();
      await mysql.end();
      redis.disconnect();
    },
  };
}
