import { couponIdListSchema } from '@couponkill/coupons';
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
    'compensated); a 4xx is final (the source hands the event to its dead-letter sink, `POST /dead-letters`), a 5xx is retried.',
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

/** What Knative adds to an event it gives up on before handing it to the dead-letter sink. */
const deadLetterHeaders = binaryHttpHeadersSchema(grabAccepted).extend({
  'ce-knativeerrordest': z.string().max(1024).optional().describe('Where the delivery was going.'),
  'ce-knativeerrorcode': z.string().max(16).optional().describe('The HTTP status of the last attempt.'),
  'ce-knativeerrordata': z.string().max(8192).optional().describe('The last answer, base64 (possibly truncated).'),
});

const grabExample = grabAcceptedSinkContract.bodyExample;

export const deadLetterSinkContract = defineContract({
  method: 'POST',
  path: '/dead-letters',
  operationId: 'recordDeadLetter',
  summary: `Dead-letter sink: a ${grabAccepted.type} the order worker never took`,
  description:
    'The KafkaSource posts here what exhausted its retries or was refused with a 4xx; not routed from the public ' +
    'gateway. The grab goes to its coupon’s dead-letter index in Redis, where it still counts as held until ' +
    '`POST /jobs/redrive` (or `make redrive`) replays or compensates it. Recording the same grab again is harmless.',
  tags: ['events'],
  auth: 'event',
  request: { headers: deadLetterHeaders, body: grabAccepted.schema },
  bodyExample: grabExample,
  responses: {
    200: {
      description: 'The grab is in the dead-letter index.',
      schema: z.strictObject({ grabId: z.string(), recorded: z.literal(true) }),
      example: { grabId: '01JCK7Q8ZK3M6V4T2R1P0N9B8A_01JCK7R2YV5F8W3D1H0G6T4S2Q', recorded: true },
    },
  },
  errors: ['UNAVAILABLE'],
});

const redriveReport = z.strictObject({
  couponId: z.string(),
  mode: z.enum(['replay', 'compensate']),
  ordered: z.int().min(0),
  failed: z.int().min(0),
  alreadySettled: z.int().min(0),
  kept: z.array(z.strictObject({ grabId: z.string(), error: z.string() })),
  unreadable: z.array(z.string()),
});

export const redriveContract = defineContract({
  method: 'POST',
  path: '/jobs/redrive',
  operationId: 'redriveDeadLetters',
  summary: 'Job: replay or compensate the dead-lettered grabs of coupons',
  description:
    'Called with the job token, or by an admin; not routed from the public gateway. `replay` writes each grab’s ' +
    'order (or lets the writer compensate it); `compensate` gives its unit and the user’s slot back and marks it ' +
    'FAILED with reason DEAD_LETTERED (an order already written stands). A settled grab leaves the index; safe to rerun.',
  tags: ['jobs'],
  auth: 'job',
  request: {
    body: z.strictObject({
      couponIds: couponIdListSchema(100),
      mode: z.enum(['replay', 'compensate']).default('replay'),
    }),
  },
  bodyExample: { couponIds: ['01JCK7Q8ZK3M6V4T2R1P0N9B8A'], mode: 'replay' },
  responses: {
    200: {
      description: 'One report per coupon; `kept` grabs stay in the index for the next run.',
      schema: z.strictObject({ reports: z.array(redriveReport) }),
      example: {
        reports: [
          {
            couponId: '01JCK7Q8ZK3M6V4T2R1P0N9B8A',
            mode: 'replay',
            ordered: 3,
            failed: 0,
            alreadySettled: 1,
            kept: [],
            unreadable: [],
          },
        ],
      },
    },
  },
  errors: ['UNAVAILABLE'],
});

/** The routes of this function (the OpenAPI document finds them by this name). */
export const contracts = [grabAcceptedSinkContract, deadLetterSinkContract, redriveContract];
