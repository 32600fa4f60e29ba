import { AppError, validationError } from '@couponkill/errors';
import { CloudEvent } from 'cloudevents';
import { z } from 'zod';
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
  const attributes = attributesSchema(type).safeParse(event);
  if (!attributes.success) {
    // A non-JSON payload is its own status (415); everything else about the envelope is a 400.
    const media = attributes.error.issues.find((issue) => issue.path[0] === 'datacontenttype');
    if (media !== undefined) {
      throw new AppError(
        'UNSUPPORTED_MEDIA_TYPE',
        `event data must be application/json, got ${String(event.datacontenttype)}`,
      );
    }
    throw validationError('attributes', attributes.error.issues);
  }
  const parsed = type.schema.safeParse(event.data);
  if (!parsed.success) throw validationError('data', parsed.error.issues);
  const { id, source, subject, time, traceparent } = attributes.data;
  return { id, type: type.type, source, subject, time, traceparent, data: parsed.data as EventData<E> };
}

/**
 * The CloudEvents attributes a consumer of `type` accepts, in one zod schema (whatever the
 * transport: Kafka `ce_*` headers or HTTP `ce-*` headers become these attributes).
 */
export function attributesSchema(type: EventType) {
  return z.object({
    specversion: z.literal('1.0'),
    type: z.literal(type.type),
    id: z.string().min(1).max(128),
    source: z.string().min(1).max(256),
    subject: z.string().max(256).optional(),
    time: z.string().max(64).optional(),
    datacontenttype: z
      .string()
      .refine((value) => value.startsWith('application/json'), 'must be application/json')
      .optional(),
    traceparent: z.string().max(256).optional(),
  });
}

/** The same attributes as binary-mode HTTP headers (`ce-id`, …), as a KafkaSource delivers them. */
export function binaryHttpHeadersSchema(type: EventType) {
  return z.object({
    'ce-specversion': z.literal('1.0'),
    'ce-type': z.literal(type.type),
    'ce-id': z.string().min(1).max(128),
    'ce-source': z.string().min(1).max(256),
    'ce-subject': z.string().max(256).optional(),
    'ce-time': z.string().max(64).optional(),
    traceparent: z.string().max(256).optional().describe('W3C trace context of the grab that led to the event.'),
  });
}
