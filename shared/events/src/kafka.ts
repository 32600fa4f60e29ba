import type { CloudEvent } from 'cloudevents';
import {
  type Admin,
  type Consumer,
  Kafka,
  type KafkaConfig,
  logLevel,
  Partitioners,
  type Producer,
  type RecordMetadata,
} from 'kafkajs';
import { fromKafkaMessage, toKafkaMessage } from './codec.js';
import { type KafkaSecurity, kafkajsSecurity } from './security.js';

/** Client defaults: a broker that does not connect or answer in time is retried, not waited on. */
const CONNECTION_TIMEOUT_MS = 3000;
const REQUEST_TIMEOUT_MS = 10_000;
const RETRY = { initialRetryTime: 100, retries: 8 } as const;
/** A fresh topic's metadata is polled this often, this many times, before the creation counts as failed. */
const TOPIC_METADATA_POLL_MS = 100;
const TOPIC_METADATA_ATTEMPTS = 20;
/** A send that has not settled by then fails (and the producer starts afresh). */
const SEND_TIMEOUT_MS = 15_000;
/** Consumer group timing: a member silent for the session timeout is dropped and its partitions move. */
const SESSION_TIMEOUT_MS = 10_000;
const HEARTBEAT_INTERVAL_MS = 1000;
/** How long a fetch waits for new events before it answers empty. */
const MAX_FETCH_WAIT_MS = 500;
/** How long a lag reading may take before it gives up. */
const LAG_TIMEOUT_MS = 5000;

export interface KafkaOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly connectionTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  /** Where kafkajs' own log lines go (a pino logger fits); stderr JSON when absent. */
  readonly logger?: KafkaLogSink;
  /** TLS and SASL towards the brokers (see security.ts); PLAINTEXT when absent. */
  readonly security?: KafkaSecurity;
}

export interface KafkaLogSink {
  error(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  debug(fields: object, message: string): void;
}

// kafkajs logs these at ERROR although it retries them itself (a fresh group coordinator,
// a leader election); they only matter when the retries run out, which surfaces as a thrown error.
const RETRIED =
  /coordinator is loading|coordinator is not available|not the leader|leader not available|NOT_COORDINATOR/i;
// Sends are bounded on purpose (a relay must notice that Kafka is down and keep the intents in
// Redis); a resend after exhausted retries may duplicate a record, which every consumer absorbs
// because it is idempotent on the event id.
const ACCEPTED_WARNINGS = /Limiting retries for the idempotent producer/;

function kafkaLogCreator(sink: KafkaLogSink | undefined): KafkaConfig['logCreator'] {
  const out: KafkaLogSink = sink ?? {
    error: (fields, message) =>
      process.stderr.write(`${JSON.stringify({ level: 'error', ...fields, msg: message })}\n`),
    warn: (fields, message) => process.stderr.write(`${JSON.stringify({ level: 'warn', ...fields, msg: message })}\n`),
    debug: () => undefined,
  };
  return () =>
    ({ level, log }) => {
      const { message, ...fields } = log;
      const detail = { component: 'kafkajs', ...fields };
      if (RETRIED.test(String(fields['error'] ?? '')) || ACCEPTED_WARNINGS.test(message)) out.debug(detail, message);
      else if (level === logLevel.ERROR) out.error(detail, message);
      else if (level === logLevel.WARN) out.warn(detail, message);
      else out.debug(detail, message);
    };
}

/**
 * A wait on Kafka that we bounded ourselves and that ran out: a send not acknowledged, an admin
 * request kafkajs would keep retrying. Named so the error model answers it as UNAVAILABLE.
 */
export class KafkaWaitTimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`${what} not answered by Kafka within ${ms} ms`);
    this.name = 'KafkaWaitTimeoutError';
  }
}

/** Settles like `work`, or rejects with KafkaWaitTimeoutError after `ms`; `work` is not cancelled. */
function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new KafkaWaitTimeoutError(what, ms)), ms);
  });
  work.catch(() => undefined); // a late failure after the timeout must not go unhandled
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export function createKafka(options: KafkaOptions): Kafka {
  const config: KafkaConfig = {
    clientId: options.clientId,
    brokers: [...options.brokers],
    connectionTimeout: options.connectionTimeoutMs ?? CONNECTION_TIMEOUT_MS,
    requestTimeout: options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
    logLevel: logLevel.WARN,
    logCreator: kafkaLogCreator(options.logger),
    retry: { ...RETRY },
    ...kafkajsSecurity(options.security),
  };
  return new Kafka(config);
}

/** Creates topics that do not exist yet and waits until their metadata is visible. */
export async function ensureTopics(
  admin: Admin,
  topics: ReadonlyArray<{ topic: string; partitions: number }>,
): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(t.topic));
  if (missing.length > 0) {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((t) => ({ topic: t.topic, numPartitions: t.partitions, replicationFactor: -1 })),
    });
  }
  // Fresh topics can answer UNKNOWN_TOPIC_OR_PARTITION for a moment after creation.
  for (let attempt = 0; ; attempt++) {
    try {
      await admin.fetchTopicMetadata({ topics: topics.map((t) => t.topic) });
      return;
    } catch (err) {
      if (attempt >= TOPIC_METADATA_ATTEMPTS) throw err;
      await new Promise((resolve) => setTimeout(resolve, TOPIC_METADATA_POLL_MS));
    }
  }
}

/**
 * An idempotent producer (no duplicates from its own retries) that waits for every in-sync
 * replica (acks = -1): when `send` resolves, the events survive a broker crash.
 */
export class EventProducer {
  readonly #kafka: Kafka;
  readonly #sendTimeoutMs: number;
  #producer: Producer;
  #connected = false;

  /** @param sendTimeoutMs a send that has not settled by then fails (and `reset` starts afresh) */
  constructor(kafka: Kafka, sendTimeoutMs = SEND_TIMEOUT_MS) {
    this.#kafka = kafka;
    this.#sendTimeoutMs = sendTimeoutMs;
    this.#producer = this.#create();
  }

  #create(): Producer {
    return this.#kafka.producer({
      idempotent: true,
      maxInFlightRequests: 5,
      allowAutoTopicCreation: false,
      // murmur2 on the key, the partitioner the Java clients use, so every producer agrees.
      createPartitioner: Partitioners.DefaultPartitioner,
    });
  }

  async connect(): Promise<void> {
    await this.#producer.connect();
    this.#connected = true;
  }

  disconnect(): Promise<void> {
    this.#connected = false;
    return this.#producer.disconnect();
  }

  /**
   * Drops the connections and the producer id and starts a new producer. After a broker
   * restart kafkajs' idempotent producer can wait forever on its old state; a fresh one does not.
   */
  async reset(): Promise<void> {
    const old = this.#producer;
    this.#producer = this.#create();
    this.#connected = false; // the next send connects (Kafka may still be down now)
    // Not awaited: disconnecting a producer whose broker is gone can wait for ever.
    void old.disconnect().catch(() => undefined);
  }

  async send(
    topic: string,
    events: ReadonlyArray<{ event: CloudEvent<unknown>; key: string }>,
  ): Promise<RecordMetadata[]> {
    const deadline = Date.now() + this.#sendTimeoutMs;
    if (!this.#connected) await within(this.connect(), this.#sendTimeoutMs, 'producer connect');
    return within(
      this.#producer.send({ topic, acks: -1, messages: events.map(({ event, key }) => toKafkaMessage(event, key)) }),
      Math.max(0, deadline - Date.now()),
      'send',
    );
  }
}

export interface ReceivedEvent {
  readonly event: CloudEvent<unknown>;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

export interface ConsumeOptions {
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly fromBeginning?: boolean;
  readonly sessionTimeoutMs?: number;
  /** Handles one event; resolve = done (its offset is committed), throw = retry later. */
  readonly handle: (received: ReceivedEvent) => Promise<void>;
  /** A record that is not a CloudEvent; after this resolves its offset is committed. */
  readonly onPoison: (record: { topic: string; partition: number; offset: string; error: Error }) => Promise<void>;
}

/**
 * Consumes events as a group, committing an offset only after its event was handled, so a
 * crash replays instead of losing. Handling stops at the first failure in a partition (order
 * per partition is kept); the batch is fetched again after kafkajs' retry backoff.
 */
export async function consumeEvents(kafka: Kafka, options: ConsumeOptions): Promise<Consumer> {
  const consumer = kafka.consumer({
    groupId: options.groupId,
    sessionTimeout: options.sessionTimeoutMs ?? SESSION_TIMEOUT_MS,
    heartbeatInterval: HEARTBEAT_INTERVAL_MS,
    maxWaitTimeInMs: MAX_FETCH_WAIT_MS,
    allowAutoTopicCreation: false,
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [...options.topics], fromBeginning: options.fromBeginning ?? true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async (payload) => {
      const { batch } = payload;
      for (const message of batch.messages) {
        if (!payload.isRunning() || payload.isStale()) break;
        const where = { topic: batch.topic, partition: batch.partition, offset: message.offset };
        let event: CloudEvent<unknown> | undefined;
        try {
          event = fromKafkaMessage(message);
        } catch (err) {
          await options.onPoison({ ...where, error: err as Error });
        }
        if (event !== undefined) await options.handle({ event, ...where });
        payload.resolveOffset(message.offset);
        await payload.commitOffsetsIfNecessary({
          topics: [
            {
              topic: batch.topic,
              partitions: [{ partition: batch.partition, offset: String(Number(message.offset) + 1) }],
            },
          ],
        });
        await payload.heartbeat();
      }
    },
  });
  return consumer;
}

export interface PartitionLag {
  readonly partition: number;
  readonly committed: number;
  readonly end: number;
  readonly lag: number;
}

const COORDINATOR_RETRY_MS = 100;

/**
 * Consumer lag as KEDA's Kafka scaler computes it: per partition, end offset minus the group's
 * committed offset (a partition the group never committed counts from its earliest offset).
 * Bounded by `timeoutMs` (KafkaWaitTimeoutError): with the brokers down, kafkajs would retry for
 * half a minute while a job request waits.
 */
export async function consumerLag(
  admin: Admin,
  groupId: string,
  topic: string,
  options: { readonly timeoutMs?: number } = {},
): Promise<{ total: number; partitions: PartitionLag[] }> {
  const deadline = Date.now() + (options.timeoutMs ?? LAG_TIMEOUT_MS);
  const read = () => Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
  let result: Awaited<ReturnType<typeof read>>;
  for (;;) {
    try {
      result = await within(read(), Math.max(0, deadline - Date.now()), 'consumer lag');
      break;
    } catch (err) {
      // kafkajs' admin does not retry a group coordinator that moved or is still loading (a
      // fresh group, a broker restart); those pass within moments.
      // By name: kafkajs is CommonJS and does not expose this class as an ESM named export.
      const retriable =
        (err as { name?: unknown }).name === 'KafkaJSProtocolError' &&
        (err as { retriable?: unknown }).retriable === true;
      if (!retriable || Date.now() + COORDINATOR_RETRY_MS >= deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, COORDINATOR_RETRY_MS));
    }
  }
  const [ends, [committed]] = result;
  const partitions = ends.map((end) => {
    const entry = committed?.partitions.find((p) => p.partition === end.partition);
    const committedOffset = entry === undefined || Number(entry.offset) < 0 ? Number(end.low) : Number(entry.offset);
    const endOffset = Number(end.high);
    return {
      partition: end.partition,
      committed: committedOffset,
      end: endOffset,
      lag: Math.max(0, endOffset - committedOffset),
    };
  });
  return { total: partitions.reduce((sum, p) => sum + p.lag, 0), partitions };
}
