import { binaryHttpHeadersSchema, grabAccepted } from '@couponkill/events';
import { defineContract } from '@couponkill/http';
import { z } from 'zod';

export const grabAcceptedSinkContract = defineContract({
  method: 'POST',
  path: '/',
  operationId: 'receiveGrabAccepted',
  summary: `Order worker: one ${grabAccepted.type} CloudEvent (binary mode) per request`,
  description:
    'The sink the KafkaSource on `coupon.grab.accepted` posts to; not routed from the public gateway. ' +
    'Attributes in `ce-*` headers, the data as the JSON body. 2xx only after the order is committed (or the grab ' +
    'compensated); a 4xx is final (the source sends the event to its dead-letter topic), a 5xx is retried.',
  tags: ['events'],
  auth: 'event',
  request: { headers: binaryHttpHeadersSchema(grabAccepted), body: grabAccepted.schema },
  bodyExample: {
    grabId: '01JCK7Q8ZK3M6V4T2R1P0N9B8A_01JCK7R2YV5F8W3D1H0G6T4S2Q',
    couponId: '01JCK7Q8ZK3M6V4T2R1P0N9B8A',
    userId: '01JCK7P0A1B2C3D4E5F6G7H8J9',
    seq: 1,
    acceptedAt: 1920456000123,
  },
  responses: {
    200: {
      description: 'The order exists (SUCCEEDED), or the grab was compensated (FAILED).',
      schema: z.strictObject({
        grabId: z.string(),
        status: z.enum(['SUCCEEDED', 'FAILED']),
        orderId: z.string().optional(),
        reason: z.string().optional(),
      }),
      example: {
        grabId: '01JCK7Q8ZK3M6V4T2R1P0N9B8A_01JCK7R2YV5F8W3D1H0G6T4S2Q',
        status: 'SUCCEEDED',
        orderId: '01JCK7R3B0C4D8E2F6G0H4J8K2',
      },
    },
  },
  errors: ['UNAVAILABLE'],
});

export const createOrderContracts = [grabAcceptedSinkContract];
