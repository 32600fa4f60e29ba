import { CloudEvent } from 'cloudevents';
import { decodeEvent, type EventData, fromKafkaMessage, grabAccepted, toHttp } from '@couponkill/events';
import type { Logger } from '@couponkill/logging';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer } from 'kafkajs';
import pLimit, { type LimitFunction } from 'p-limit';

/**
 * What a Knative KafkaSource does, on one machine: a consumer group reads the topics and POSTs
 * each record to the sink as a binary-mode CloudEvent; a record that already is a CloudEvent
 * passes through unchanged, any other record is wrapped as `dev.knative.kafka.event`. Delivery
 * is retried with backoff on 5xx, 404, 408, 409, 429 and network errors only; other 4xx and
 * exhausted retries go to the dead-letter topic. An offset is committed only after its record
 * was delivered or dead-lettered. A dead-lettered grab is also recorded in its coupon's
 * dead-letter index (what the chart's dead-letter sink route does), so it still counts as held.
 */
export interface KafkaSourceOptions {
  readonly name: string;
  readonly kafka: Kafka;
  readonly groupId: string;
  readonly topics: readonly string[];
  /** The sink URL (the order worker), or a function picking one per delivery (several replicas). */
  readonly sink: string | (() => string | undefined);
  readonly deadLetterTopic?: string;
  /** Records a dead-lettered grab in its coupon's dead-letter index (create-order's DeadLetterIndex). */
  readonly deadLetterIndex?: {
    record(grab: EventData<typeof grabAccepted>, reason: string): Promise<void>;
  };
  /** `ordered`: one record at a time per partition; `unordered`: a whole batch at once. */
  readonly ordering: 'ordered' | 'unordered';
  readonly retry: number;
  readonly backoffDelayMs: number;
  readonly backoffPolicy: 'exponential' | 'linear';
  readonly requestTimeoutMs?: number;
  /**
   * At most this many deliveries on the wire at once, the others wait their turn: what the
   * queue-proxy in front of a Knative pod admits (the sink's containerConcurrency). Unbounded when
   * absent: a whole fetched batch of every partition is then POSTed at once.
   */
  readonly maxInFlight?: number;
  /** Fault injection: POST every record this many times (at-least-once taken to the extreme). */
  readonly deliveries?: number;
  readonly logger: Logger;
}

export interface DispatchStats {
  delivered: number;
  retried: number;
  deadLettered: number;
}

const RETRYABLE = new Set([404, 408, 409, 429]);

export class KafkaSourceDispatcher {
  readonly #o: KafkaSourceOptions;
  readonly stats: DispatchStats = { delivered: 0, retried: 0, deadLettered: 0 };
  #consumer: Consumer | undefined;
  #dlq: Producer | undefined;
  #running = false;
  /** Deliveries on the wire at once (`maxInFlight`); the others wait their turn. */
  readonly #onTheWire: LimitFunction;

  constructor(options: KafkaSourceOptions) {
    this.#o = options;
    this.#onTheWire = pLimit(options.maxInFlight ?? Number.POSITIVE_INFINITY);
  }

  async start(): Promise<void> {
    this.#running = true;
    if (this.#o.deadLetterTopic !== undefined) {
      this.#dlq = this.#o.kafka.producer({ idempotent: true });
      await this.#dlq.connect();
    }
    const consumer = this.#o.kafka.consumer({
      groupId: this.#o.groupId,
      sessionTimeout: 10_000,
      heartbeatInterval: 1000,
      maxWaitTimeInMs: 100,
    });
    this.#consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: [...this.#o.topics], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 64,
      eachBatch: (payload) => (this.#o.ordering === 'ordered' ? this.#ordered(payload) : this.#unordered(payload)),
    });
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#consumer?.disconnect();
    await this.#dlq?.disconnect();
  }

  async #ordered(payload: EachBatchPayload): Promise<void> {
    for (const message of payload.batch.messages) {
      if (!payload.isRunning() || payload.isStale()) return;
      await this.#deliver(payload.batch.topic, payload.batch.partition, message);
      payload.resolveOffset(message.offset);
      await payload.commitOffsetsIfNecessary(commitOf(payload, message));
      await payload.heartbeat();
    }
  }

  async #unordered(payload: EachBatchPayload): Promise<void> {
    const { messages } = payload.batch;
    const beat = setInterval(() => void payload.heartbeat().catch(() => undefined), 1000);
    try {
      await Promise.all(messages.map((m) => this.#deliver(payload.batch.topic, payload.batch.partition, m)));
    } finally {
      clearInterval(beat);
    }
    const last = messages.at(-1);
    if (last === undefined || !payload.isRunning() || payload.isStale()) return;
    payload.resolveOffset(last.offset);
    await payload.commitOffsetsIfNecessary(commitOf(payload, last));
  }

  async #deliver(topic: string, partition: number, message: KafkaMessage): Promise<void> {
    for (let i = 0; i < (this.#o.deliveries ?? 1); i++) await this.#deliverOnce(topic, partition, message);
  }

  /** Delivers one record until it is accepted or dead-lettered; throws only when stopping. */
  async #deliverOnce(topic: string, partition: number, message: KafkaMessage): Promise<void> {
    const request = toHttp(asCloudEvent(this.#o.name, topic, partition, message));
    let lastError = '';
    for (let attempt = 0; attempt <= this.#o.retry && this.#running; attempt++) {
      if (attempt > 0) {
        this.stats.retried += 1;
        const delay =
          this.#o.backoffPolicy === 'exponential'
            ? this.#o.backoffDelayMs * 2 ** (attempt - 1)
            : this.#o.backoffDelayMs * attempt;
        await new Promise((resolve) => setTimeout(resolve, Math.min(delay, 10_000)));
      }
      const sink = typeof this.#o.sink === 'string' ? this.#o.sink : this.#o.sink();
      if (sink === undefined) {
        lastError = 'no sink replica is running';
        continue; // like a Knative service scaled to zero: retried with backoff
      }
      const outcome = await this.#onTheWire(() => this.#post(sink, request));
      if (outcome.ok) {
        this.stats.delivered += 1;
        return;
      }
      lastError = outcome.error;
      if (outcome.final) break; // a 4xx the sink will always answer
    }
    if (!this.#running) throw new Error('dispatcher stopping; the record stays uncommitted');
    await this.#deadLetter(topic, partition, message, lastError);
  }

  /** One POST of a record to the sink: delivered, or why not and whether a retry could help. */
  async #post(
    sink: string,
    request: { readonly headers: Record<string, string>; readonly body: string },
  ): Promise<{ readonly ok: true } | { readonly ok: false; readonly error: string; readonly final: boolean }> {
    try {
      const response = await fetch(sink, {
        method: 'POST',
        headers: request.headers,
        body: request.body,
        signal: AbortSignal.timeout(this.#o.requestTimeoutMs ?? 30_000),
      });
      const text = await response.text();
      if (response.ok) return { ok: true };
      return {
        ok: false,
        error: `HTTP ${response.status} ${text.slice(0, 200)}`,
        final: response.status < 500 && !RETRYABLE.has(response.status),
      };
    } catch (err) {
      return { ok: false, error: (err as Error).message, final: false };
    }
  }

  async #deadLetter(topic: string, partition: number, message: KafkaMessage, error: string): Promise<void> {
    this.stats.deadLettered += 1;
    this.#o.logger.warn({ topic, partition, offset: message.offset, error }, 'record sent to the dead-letter topic');
    await this.#index(message, error);
    if (this.#dlq === undefined || this.#o.deadLetterTopic === undefined) return;
    await this.#dlq.send({
      topic: this.#o.deadLetterTopic,
      acks: -1,
      messages: [
        {
          key: message.key,
          value: message.value,
          headers: {
            ...message.headers,
            ce_knativeerrordest: typeof this.#o.sink === 'string' ? this.#o.sink : 'replicas',
            ce_knativeerrordata: error.slice(0, 1000),
          },
        },
      ],
    });
  }

  /** Indexes the grab before the offset can be committed; retried until it works or the source stops. */
  async #index(message: KafkaMessage, error: string): Promise<void> {
    const index = this.#o.deadLetterIndex;
    if (index === undefined) return;
    let grab: EventData<typeof grabAccepted>;
    try {
      grab = decodeEvent(grabAccepted, fromKafkaMessage(message)).data;
    } catch {
      return; // not a grab: nothing holds a unit for it
    }
    for (let attempt = 0; ; attempt++) {
      try {
        await index.record(grab, error);
        return;
      } catch (err) {
        if (!this.#running) throw new Error('dispatcher stopping; the record stays uncommitted', { cause: err });
        this.#o.logger.warn({ err, grabId: grab.grabId }, 'dead letter not indexed yet; retrying');
        await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** attempt, 5000)));
      }
    }
  }
}

function commitOf(payload: EachBatchPayload, message: KafkaMessage) {
  return {
    topics: [
      {
        topic: payload.batch.topic,
        partitions: [{ partition: payload.batch.partition, offset: String(Number(message.offset) + 1) }],
      },
    ],
  };
}

/** The record's own CloudEvent, or the wrapper a KafkaSource puts around a plain record. */
function asCloudEvent(source: string, topic: string, partition: number, message: KafkaMessage): CloudEvent<unknown> {
  try {
    return fromKafkaMessage(message);
  } catch {
    return new CloudEvent<unknown>(
      {
        id: `partition:${partition}/offset:${message.offset}`,
        type: 'dev.knative.kafka.event',
        source: `/apis/v1/namespaces/local/kafkasources/${source}#${topic}`,
        subject: `partition:${partition}#${message.offset}`,
        datacontenttype: 'application/octet-stream',
        data: message.value?.toString('base64') ?? '',
      },
      false,
    );
  }
}
