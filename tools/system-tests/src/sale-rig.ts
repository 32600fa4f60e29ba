import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueAccessToken, type KeyRing } from '@couponkill/auth';
import { type Coupon, CouponStore, type NewCoupon, toSaleSettings } from '@couponkill/coupons';
import { createPool } from '@couponkill/db';
import { createKafka, ensureTopics, EventProducer } from '@couponkill/events';
import { createCreateOrder } from '@couponkill/fn-create-order/app';
import { loadCreateOrderConfig } from '@couponkill/fn-create-order/config';
import { createGrabCoupon } from '@couponkill/fn-grab-coupon/app';
import { loadGrabCouponConfig } from '@couponkill/fn-grab-coupon/config';
import { OutboxRelay } from '@couponkill/fn-outbox-relay/relay';
import { createLogger } from '@couponkill/logging';
import { removeStateDir } from '@couponkill/servers';
import { OrderStore, orderShardingSchema } from '@couponkill/orders';
import { createRedis, type RedisClient, redisOptionsSchema } from '@couponkill/redis';
import { Sale } from '@couponkill/sale';
import { serve, serveJwks, TEST_AUDIENCE, TEST_ISSUER, type TestEndpoints, uniqueName } from '@couponkill/testkit';
import type { Kafka } from 'kafkajs';
import { type FunctionProcess, startFunction } from '@couponkill/dev/functions';
import { KafkaSourceDispatcher, type KafkaSourceOptions } from '@couponkill/dev/kafkasource/dispatcher';

/**
 * The whole grab → outbox → Kafka → order worker → shards path, wired in one process against
 * real Redis, MariaDB and Kafka, with names of its own (databases, topic, outbox registry) so
 * it shares the servers with other tests without touching their data.
 */
export class SaleRig {
  readonly prefix = uniqueName('ck_sk');
  readonly topic = `${this.prefix}.grab.accepted`;
  readonly registry = `ck:outboxes:${this.prefix}`;
  readonly ordersSharding = orderShardingSchema.parse({
    databases: [{ database: `${this.prefix}_o0` }, { database: `${this.prefix}_o1` }],
    tablesPerDatabase: 4,
  });
  readonly couponsDb = `${this.prefix}_coupons`;
  // Fault tests make Kafka clients log connection errors by design: quiet unless asked for.
  readonly logger = createLogger({
    name: 'sale-rig',
    level: process.env['RIG_LOG_LEVEL'] === 'debug' ? 'debug' : 'silent',
  });
  readonly #closers: Array<() => Promise<void>> = [];

  redis!: RedisClient;
  sale!: Sale;
  orders!: OrderStore;
  coupons!: CouponStore;
  kafka!: Kafka;
  keys!: KeyRing;
  grabUrl!: string;
  /** Where the rig publishes the public keys its tokens are signed with. */
  jwksUrl!: string;
  workerUrl!: string;
  relay!: OutboxRelay;
  dispatcher!: KafkaSourceDispatcher;
  /** The order worker, when it runs as a process of its own (to be killed in fault tests). */
  worker: FunctionProcess | undefined;
  #workerEnv: Record<string, string> = {};

  constructor(readonly endpoints: TestEndpoints) {}

  async start(
    options: { dispatcher?: Partial<KafkaSourceOptions>; partitions?: number; workerProcess?: boolean } = {},
  ): Promise<this> {
    const { mysqlUrl, redisUrl, kafkaBrokers } = this.endpoints;
    this.redis = createRedis(redisOptionsSchema.parse({ url: redisUrl }), 'sale-rig');
    this.sale = new Sale(this.redis, { outboxRegistry: this.registry });
    this.#closers.push(async () => this.redis.disconnect());

    await CouponStore.migrate(mysqlUrl, this.couponsDb);
    this.coupons = CouponStore.open(mysqlUrl, this.couponsDb, 2);
    await OrderStore.migrate(mysqlUrl, this.ordersSharding);
    this.orders = OrderStore.open(mysqlUrl, this.ordersSharding, 4);
    this.#closers.push(
      () => this.coupons.close(),
      () => this.orders.close(),
    );

    this.kafka = createKafka({ brokers: kafkaBrokers, clientId: 'sale-rig', logger: this.logger });
    const admin = this.kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [
      { topic: this.topic, partitions: options.partitions ?? 8 },
      { topic: `${this.topic}.dlq`, partitions: 1 },
    ]);
    await admin.disconnect();

    const jwks = await serveJwks('rig');
    this.keys = jwks.ring;
    this.jwksUrl = jwks.env.AUTH_JWKS_URL;
    this.#closers.push(() => jwks.close());

    const grab = await createGrabCoupon(loadGrabCouponConfig(this.grabFunctionEnv()));
    const grabServer = await serve(grab.handler);
    this.grabUrl = grabServer.url;
    this.#closers.push(
      () => grabServer.close(),
      () => grab.close(),
    );

    const config = join(mkdtempSync(join(tmpdir(), 'ck-rig-')), 'create-order.yaml');
    writeFileSync(config, JSON.stringify({ orderSharding: this.ordersSharding }));
    this.#workerEnv = {
      MYSQL_URL: mysqlUrl,
      COUPONS_DATABASE: this.couponsDb,
      REDIS_URL: redisUrl,
      CONFIG_FILE: config,
      LOG_LEVEL: 'warn',
    };
    if (options.workerProcess === true) {
      this.worker = await startFunction('create-order', { profile: this.prefix, env: this.#workerEnv });
      this.workerUrl = `http://127.0.0.1:${this.worker.port}`;
      this.#closers.push(async () => this.worker?.process.stop());
    } else {
      const worker = await createCreateOrder(loadCreateOrderConfig(this.#workerEnv));
      const workerServer = await serve(worker.handler);
      this.workerUrl = workerServer.url;
      this.#closers.push(
        () => workerServer.close(),
        () => worker.close(),
      );
    }

    const producer = new EventProducer(this.kafka);
    await producer.connect();
    this.relay = new OutboxRelay({
      redis: this.redis,
      producer,
      logger: this.logger,
      consumer: 'rig-relay',
      batchSize: 500,
      idleMs: 5,
      claimIdleMs: 30_000,
      topic: this.topic,
      registry: this.registry,
    });
    this.relay.start();
    this.#closers.push(
      () => this.relay.stop(),
      () => producer.disconnect(),
    );

    this.dispatcher = new KafkaSourceDispatcher({
      name: 'create-order-source',
      kafka: this.kafka,
      groupId: `${this.prefix}-create-order`,
      topics: [this.topic],
      sink: this.workerUrl,
      deadLetterTopic: `${this.topic}.dlq`,
      ordering: 'unordered',
      retry: 12,
      backoffDelayMs: 50,
      backoffPolicy: 'exponential',
      logger: this.logger,
      ...options.dispatcher,
    });
    await this.dispatcher.start();
    this.#closers.push(() => this.dispatcher.stop());
    return this;
  }

  /**
   * What a grab-coupon of this rig's sale is configured with (Redis, this rig's token issuer and
   * keys); a test adds flow settings and runs one as a process of its own with `startFunction`.
   */
  grabFunctionEnv(): Record<string, string> {
    return {
      REDIS_URL: this.endpoints.redisUrl,
      AUTH_ISSUER: TEST_ISSUER,
      AUTH_JWKS_URL: this.jwksUrl,
      LOG_LEVEL: 'warn',
    };
  }

  /** Starts the order worker process again on its port (after a fault test killed it). */
  async restartWorker(): Promise<void> {
    if (this.worker === undefined) throw new Error('the worker runs in-process');
    this.worker = await startFunction('create-order', {
      profile: this.prefix,
      env: this.#workerEnv,
      port: this.worker.port,
    });
  }

  /** Creates a coupon and writes its sale state, as coupon-admin does. */
  async coupon(input: Partial<NewCoupon> = {}): Promise<Coupon> {
    const coupon = await this.coupons.create({
      name: 'Flash 100 off',
      type: 'normal',
      faceValueCents: 10_000,
      minSpendCents: 50_000,
      validDays: 7,
      perUserLimit: 2,
      totalStock: 1000,
      startAt: null,
      endAt: null,
      status: 'active',
      ...input,
    });
    await this.sale.preheat(coupon.id, toSaleSettings(coupon), async () => 0);
    return coupon;
  }

  token(userId: string): Promise<string> {
    return issueAccessToken(
      this.keys,
      { userId, roles: ['user'] },
      { issuer: TEST_ISSUER, audience: TEST_AUDIENCE, ttlSeconds: 3600 },
    ).then((t) => t.token);
  }

  /** Stops everything in reverse order and drops the rig's databases. */
  async stop(): Promise<void> {
    for (const close of this.#closers.reverse()) await close().catch(() => undefined);
    const server = createPool({ url: this.endpoints.mysqlUrl, connectionLimit: 1 });
    for (const db of [this.couponsDb, ...this.ordersSharding.databases.map((d) => d.database)]) {
      await server.query(`DROP DATABASE IF EXISTS \`${db}\``);
    }
    await server.end();
    removeStateDir(this.prefix);
  }
}
