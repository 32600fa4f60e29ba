/**
 * The KafkaSource of the order worker as a process of its own (make dev runs it inside its own
 * process), so the fault campaign can SIGKILL it mid-sale and start it again, and make bench's
 * whole sale runs it beside the function processes. Configured by env:
 * KAFKA_BROKERS, SINK_URL (the order worker), REDIS_URL (the dead-letter index), READY_FILE (written
 * once the consumer runs), SINK_MAX_IN_FLIGHT (optional: deliveries on the wire at most, as a
 * queue-proxy admits the sink's containerConcurrency).
 */
import { writeFileSync } from 'node:fs';
import { createKafka, TOPICS } from '@couponkill/events';
import { DeadLetterIndex } from '@couponkill/fn-create-order/dead-letters';
import { createLogger } from '@couponkill/logging';
import { createRedis, redisOptionsSchema } from '@couponkill/redis';
import { KafkaSourceDispatcher } from '@couponkill/dev/kafkasource/dispatcher';

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is required`);
  return value;
};

const log = createLogger({ name: 'kafkasource' });
const maxInFlight = Number(process.env['SINK_MAX_IN_FLIGHT'] ?? '');
const kafka = createKafka({ brokers: env('KAFKA_BROKERS').split(','), clientId: 'kafkasource', logger: log });
// The same settings as make dev's KafkaSource in front of the order worker.
const source = new KafkaSourceDispatcher({
  name: 'create-order-source',
  kafka,
  groupId: 'create-order',
  topics: [TOPICS.grabAccepted],
  sink: env('SINK_URL'),
  deadLetterTopic: TOPICS.grabAcceptedDlq,
  deadLetterIndex: new DeadLetterIndex(createRedis(redisOptionsSchema.parse({ url: env('REDIS_URL') }), 'kafkasource')),
  ordering: 'unordered',
  retry: 10,
  backoffDelayMs: 200,
  backoffPolicy: 'exponential',
  ...(Number.isInteger(maxInFlight) && maxInFlight > 0 ? { maxInFlight } : {}),
  logger: log,
});
const stop = () => {
  void source.stop().finally(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
await source.start();
writeFileSync(env('READY_FILE'), `${process.pid}\n`);
log.info('kafkasource running');
