export { defineEventType, type EventData, type EventType } from './event-type.js';
export { EVENT_TYPES, grabAccepted, TOPICS } from './catalog.js';
export {
  attributesSchema,
  binaryHttpHeadersSchema,
  decodeEvent,
  newEvent,
  type NewEventOptions,
  type TypedEvent,
} from './envelope.js';
export { fromHttp, fromKafkaMessage, type ReceivedKafkaRecord, toHttp, toKafkaMessage } from './codec.js';
export {
  type ConsumeOptions,
  consumeEvents,
  consumerLag,
  createKafka,
  ensureTopics,
  EventProducer,
  type KafkaOptions,
  KafkaWaitTimeoutError,
  type PartitionLag,
  type ReceivedEvent,
} from './kafka.js';
export {
  KAFKA_SECURITY_ENV,
  kafkaBrokersSchema,
  type KafkaSecurity,
  kafkajsSecurity,
  kafkaSecuritySchema,
} from './security.js';
