import { AppError } from '@couponkill/errors';
import { describe, expect, it } from 'vitest';
import {
  decodeEvent,
  fromHttp,
  fromKafkaMessage,
  grabAccepted,
  newEvent,
  toHttp,
  toKafkaMessage,
} from '../src/index.js';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const data = {
  grabId: '01JGRAB0000000000000000001',
  couponId: 'c42',
  userId: 'u7',
  seq: 1,
  acceptedAt: 1_790_000_000_000,
};

function accepted() {
  return newEvent(grabAccepted, {
    id: data.grabId,
    source: '/couponkill/outbox-relay',
    subject: 'c42',
    data,
    traceparent: TRACEPARENT,
  });
}

describe('newEvent', () => {
  it('builds a CloudEvent 1.0 with the type, id, subject and trace context', () => {
    const event = accepted();
    expect(event.specversion).toBe('1.0');
    expect(event.type).toBe('com.couponkill.grab.accepted.v1');
    expect(event.id).toBe(data.grabId);
    expect(event.subject).toBe('c42');
    expect((event as unknown as Record<string, unknown>)['traceparent']).toBe(TRACEPARENT);
  });

  it('takes any positive sequence number: it only grows over a user’s grabs, cancels included', () => {
    for (const seq of [1000, 1001, 4_294_967_296, Number.MAX_SAFE_INTEGER]) {
      expect(newEvent(grabAccepted, { id: 'x', source: '/s', data: { ...data, seq } }).data?.seq).toBe(seq);
    }
    for (const seq of [0, -1, 1.5, Number.MAX_SAFE_INTEGER + 1]) {
      expect(() => newEvent(grabAccepted, { id: 'x', source: '/s', data: { ...data, seq } })).toThrow();
    }
  });

  it('refuses data that does not match the schema (a producer bug fails loudly)', () => {
    expect(() => newEvent(grabAccepted, { id: 'x', source: '/s', data: { ...data, seq: 0 } })).toThrow();
  });
});

describe('Kafka binary mode', () => {
  it('puts attributes in ce_* headers and the data as the JSON value', () => {
    const message = toKafkaMessage(accepted(), 'c42');
    expect(message.key).toBe('c42');
    expect(JSON.parse(String(message.value))).toEqual(data);
    expect(message.headers).toMatchObject({
      ce_id: data.grabId,
      ce_type: 'com.couponkill.grab.accepted.v1',
      ce_source: '/couponkill/outbox-relay',
      ce_specversion: '1.0',
      ce_subject: 'c42',
      ce_traceparent: TRACEPARENT,
      'content-type': 'application/json',
    });
  });

  it('round-trips through a record as kafkajs delivers it (Buffer headers) and validates on decode', () => {
    const message = toKafkaMessage(accepted(), 'c42');
    const headers = Object.fromEntries(
      Object.entries(message.headers ?? {}).map(([k, v]) => [k, Buffer.from(String(v))]),
    );
    const event = fromKafkaMessage({ key: Buffer.from('c42'), value: Buffer.from(String(message.value)), headers });
    const typed = decodeEvent(grabAccepted, event);
    expect(typed.data).toEqual(data);
    expect(typed.traceparent).toBe(TRACEPARENT);
  });

  it('reports a record that is not a CloudEvent as BAD_REQUEST (poison, not retried)', () => {
    const error = (() => {
      try {
        fromKafkaMessage({ key: null, value: Buffer.from('{"hello":1}'), headers: {} });
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('BAD_REQUEST');
  });
});

describe('HTTP binary mode', () => {
  it('round-trips through ce-* headers as a KafkaSource delivers to a sink', () => {
    const { headers, body } = toHttp(accepted());
    expect(headers['ce-id']).toBe(data.grabId);
    expect(headers['ce-traceparent']).toBe(TRACEPARENT);
    const typed = decodeEvent(grabAccepted, fromHttp(headers, body));
    expect(typed.data).toEqual(data);
  });

  it('rejects requests without CloudEvent headers', () => {
    expect(() => fromHttp({ 'content-type': 'application/json' }, '{}')).toThrow(AppError);
  });
});

describe('decodeEvent', () => {
  it('lists every invalid data field under VALIDATION_FAILED', () => {
    const event = accepted().cloneWith({ data: { ...data, seq: 'one', userId: '' } }, false);
    try {
      decodeEvent(grabAccepted, event);
      expect.unreachable();
    } catch (err) {
      expect((err as AppError).code).toBe('VALIDATION_FAILED');
      expect((err as AppError).fields?.map((f) => f.field).sort()).toEqual(['data.seq', 'data.userId']);
    }
  });

  it('rejects an unexpected type and unknown data fields', () => {
    expect(() =>
      decodeEvent(grabAccepted, accepted().cloneWith({ type: 'com.couponkill.order.created.v1' }, false)),
    ).toThrow('Invalid attributes: attributes.type');
    expect(() => decodeEvent(grabAccepted, accepted().cloneWith({ data: { ...data, extra: true } }, false))).toThrow(
      AppError,
    );
  });
});
