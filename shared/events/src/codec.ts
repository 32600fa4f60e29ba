import { AppError } from '@couponkill/errors';
import { type CloudEvent, HTTP, Kafka, type KafkaMessage } from 'cloudevents';
import type { IHeaders, Message as KafkaProducerMessage } from 'kafkajs';

/** Binary-mode Kafka record: attributes in `ce_*` headers, data as the JSON value. */
export function toKafkaMessage(event: CloudEvent<unknown>, key: string): KafkaProducerMessage {
  const message = Kafka.binary(event);
  const headers: IHeaders = {};
  for (const [name, value] of Object.entries(message.headers)) {
    if (value !== undefined && value !== null) headers[name] = String(value);
  }
  return { key, value: JSON.stringify(event.data), headers };
}

/** What kafkajs hands a consumer. */
export interface ReceivedKafkaRecord {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers?: IHeaders;
}

/** Reads a binary-mode (or structured) CloudEvent from a Kafka record; not a CloudEvent → BAD_REQUEST. */
export function fromKafkaMessage(record: ReceivedKafkaRecord): CloudEvent<unknown> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(record.headers ?? {})) {
    if (value === undefined) continue;
    headers[name] = Array.isArray(value) ? value.map(String).join(',') : value.toString();
  }
  try {
    const message: KafkaMessage<string | null> = {
      headers,
      key: record.key?.toString() ?? '',
      value: record.value?.toString() ?? null,
      body: undefined,
    };
    return Kafka.toEvent(message) as CloudEvent<unknown>;
  } catch (err) {
    throw new AppError('BAD_REQUEST', `not a CloudEvent record: ${(err as Error).message}`, { cause: err });
  }
}

/** Binary-mode HTTP request (`ce-*` headers), as a KafkaSource delivers events to a sink. */
export function toHttp(event: CloudEvent<unknown>): { headers: Record<string, string>; body: string } {
  const message = HTTP.binary(event);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers)) {
    if (value !== undefined && value !== null) headers[name] = String(value);
  }
  return { headers, body: typeof message.body === 'string' ? message.body : JSON.stringify(message.body) };
}

/** Reads a binary or structured CloudEvent from an HTTP request; not a CloudEvent → BAD_REQUEST. */
export function fromHttp(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  body: unknown,
): CloudEvent<unknown> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  try {
    const event = HTTP.toEvent({ headers: flat, body: body });
    if (Array.isArray(event)) throw new Error('batched events are not accepted');
    return event as CloudEvent<unknown>;
  } catch (err) {
    throw new AppError('BAD_REQUEST', `not a CloudEvent: ${(err as Error).message}`, { cause: err });
  }
}
