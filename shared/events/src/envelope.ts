import { AppError, validationError } from '@couponkill/errors';
import { CloudEvent } from 'cloudevents';
import type { EventData, EventType } from './event-type.js';

export interface NewEventOptions<E extends EventType> {
  /** The idempotency key of the event (for grab events: the grabId). */
  readonly id: string;
  /** `/couponkill/<function>` */
  readonly source: string;
  readonly subject?: string;
  readonly data: EventData<E>;
  /** W3C trace context, carried as the CloudEvents distributed-tracing extension. */
  readonly traceparent?: string;
  readonly time?: Date;
}

/** Builds a CloudEvent of a known type; the data is validated so a producer bug fails here. */
export function newEvent<E extends EventType>(type: E, options: NewEventOptions<E>): CloudEvent<EventData<E>> {
  const data = type.schema.parse(options.data) as EventData<E>;
  return new CloudEvent<EventData<E>>({
    specversion: '1.0',
    id: options.id,
    type: type.type,
    source: options.source,
    datacontenttype: 'application/json',
    data,
    ...(options.subject === undefined ? {} : { subject: options.subject }),
    ...(options.traceparent === undefined ? {} : { traceparent: options.traceparent }),
    time: (options.time ?? new Date()).toISOString(),
  });
}

/** A received event whose attributes and data were validated against its type. */
export interface TypedEvent<E extends EventType> {
  readonly id: string;
  readonly type: E['type'];
  readonly source: string;
  readonly subject: string | undefined;
  readonly time: string | undefined;
  readonly traceparent: string | undefined;
  readonly data: EventData<E>;
}

/**
 * Checks a received CloudEvent against the expected type. Anything wrong is the sender's fault
 * and final (a 4xx: the delivery goes to the dead-letter sink instead of being retried).
 */
export function decodeEvent<E extends EventType>(type: E, event: CloudEvent<unknown>): TypedEvent<E> {
  if (event.specversion !== '1.0')
    throw new AppError('BAD_REQUEST', `unsupported CloudEvents specversion ${String(event.specversion)}`);
  if (event.type !== type.type)
    throw new AppError('BAD_REQUEST', `expected event type ${type.type}, got ${String(event.type)}`);
  if (typeof event.id !== 'string' || event.id === '' || event.id.length > 128)
    throw new AppError('BAD_REQUEST', 'event id is missing or too long');
  if (typeof event.source !== 'string' || event.source === '')
    throw new AppError('BAD_REQUEST', 'event source is missing');
  if (event.datacontenttype !== undefined && !event.datacontenttype.startsWith('application/json')) {
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', `event data must be application/json, got ${event.datacontenttype}`);
  }
  const parsed = type.schema.safeParse(event.data);
  if (!parsed.success) throw validationError('data', parsed.error.issues);
  const traceparent = (event as unknown as Record<string, unknown>)['traceparent'];
  return {
    id: event.id,
    type: type.type,
    source: event.source,
    subject: event.subject,
    time: event.time,
    traceparent: typeof traceparent === 'string' ? traceparent : undefined,
    data: parsed.data as EventData<E>,
  };
}
