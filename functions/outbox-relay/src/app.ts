import type { ConfigStore } from '@couponkill/config';
import { createKafka, ensureTopics, EventProducer, TOPICS } from '@couponkill/events';
import { checkDependencies } from '@couponkill/health';
import { createFunctionKit, type FunctionApp } from '@couponkill/http';
import { createRedis } from '@couponkill/redis';
import type { outboxRelayConfigSchema } from './config.js';
import { OutboxRelay } from './relay.js';

export const FUNCTION_NAME = 'outbox-relay';

/** How often the relay's counters and backlog are copied into the metrics. */
const METRICS_SAMPLE_MS = 1000;

/**
 * A long-running function (min-scale 1): the relay loop runs in the background; the HTTP side
 * serves only health and metrics, so the platform can probe and scrape it like the others.
 */
export async function createOutboxRelay(
  config: ConfigStore<typeof outboxRelayConfigSchema>,
): Promise<FunctionApp & { relay: OutboxRelay }> {
  const kit = createFunctionKit(FUNCTION_NAME);
  const { logger, metrics } = kit;
  const settings = config.current;
  const redis = createRedis(settings.redis, FUNCTION_NAME);
  const kafka = createKafka({
    brokers: settings.kafkaBrokers,
    clientId: FUNCTION_NAME,
    logger,
    security: settings.kafkaSecurity,
  });
  if (settings.createTopics) {
    const admin = kafka.admin();
    await admin.connect();
    try {
      await ensureTopics(admin, [
        { topic: TOPICS.grabAccepted, partitions: settings.topicPartitions },
        { topic: TOPICS.grabAcceptedDlq, partitions: 1 },
      ]);
    } finally {
      await admin.disconnect();
    }
  }
  const producer = new EventProducer(kafka);
  await producer.connect();
  const relay = new OutboxRelay({
    redis,
    producer,
    logger,
    consumer: settings.consumer,
    batchSize: settings.batchSize,
    idleMs: settings.idleMs,
    claimIdleMs: settings.claimIdleMs,
    blockMs: settings.blockMs,
    registryRefreshMs: settings.registryRefreshMs,
    pruneIntervalMs: settings.pruneIntervalMs,
  });
  relay.start();

  const counters = {
    published: metrics.counter('couponkill_outbox_published_total', 'Grab intents published to Kafka'),
    failures: metrics.counter(
      'couponkill_outbox_relay_failures_total',
      'Failed attempts to relay one coupon’s outbox (retried after a backoff; the other coupons go on)',
    ),
    poisoned: metrics.counter(
      'couponkill_outbox_poison_total',
      'Outbox entries that could not become an event: grab compensated (INVALID_INTENT) or dead-lettered',
    ),
    pruned: metrics.counter(
      'couponkill_outbox_pruned_total',
      'Coupons dropped from the relay’s registry (outbox drained, sale over)',
    ),
  };
  const backlog = metrics.gauge('couponkill_outbox_backlog', 'Grab intents waiting in Redis outboxes');
  const reported = { published: 0, failures: 0, poisoned: 0, pruned: 0 };
  const sample = setInterval(() => {
    for (const name of ['published', 'failures', 'poisoned', 'pruned'] as const) {
      counters[name].inc(relay.stats[name] - reported[name]);
      reported[name] = relay.stats[name];
    }
    relay.backlog().then(
      (n) => backlog.set(n),
      () => undefined,
    );
  }, METRICS_SAMPLE_MS);
  sample.unref();

  checkDependencies(kit.health, { redis });
  // Kafka being down is not a reason to restart the relay (intents wait in Redis), so it is
  // reported in metrics and logs, not in liveness.
  const handler = kit.handler({ routes: [] });
  return {
    handler,
    relay,
    async close() {
      clearInterval(sample);
      await relay.stop();
      await producer.disconnect();
      redis.disconnect();
    },
  };
}
