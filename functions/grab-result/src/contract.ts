import { defineContract } from '@couponkill/http';
import { z } from 'zod';

const grabId = z.strictObject({
  grabId: z.string().max(256).describe('`<couponId>_<ulid>`, from the 202 of the grab.'),
});

const grabView = z.strictObject({
  grabId: z.string(),
  couponId: z.string(),
  status: z.enum(['QUEUED', 'SUCCEEDED', 'FAILED', 'CANCELLED']),
  acceptedAt: z.iso.datetime(),
  orderId: z.string().optional().describe('Set once the order exists.'),
  reason: z.string().optional().describe('Why a grab FAILED.'),
});

const example = {
  grabId: '01JCK7Q8ZK3M6V4T2R1P0N9B8A_01JCK7R2YV5F8W3D1H0G6T4S2Q',
  couponId: '01JCK7Q8ZK3M6V4T2R1P0N9B8A',
  status: 'SUCCEEDED',
  acceptedAt: '2030-11-11T12:00:00.123Z',
  orderId: '01JCK7R3B0C4D8E2F6G0H4J8K2',
};

export const getGrabContract = defineContract({
  method: 'GET',
  path: '/api/v1/grabs/:grabId',
  operationId: 'getGrab',
  summary: "The caller's grab: queued, succeeded (with its order), failed or cancelled",
  description: "Someone else's grab, an unknown one and a malformed id are all 404, so grab ids cannot be probed.",
  tags: ['grabs'],
  auth: 'user',
  request: { params: grabId },
  responses: { 200: { description: 'The grab.', schema: grabView, example } },
  errors: ['NOT_FOUND'],
});

export const grabEventsContract = defineContract({
  method: 'GET',
  path: '/api/v1/grabs/:grabId/events',
  operationId: 'streamGrabEvents',
  summary: "Server-sent events with the caller's grab until it is final",
  description:
    'A `text/event-stream`: one `status` event with the grab view (the JSON above) per change, comments as ' +
    'keep-alives; the server ends the stream on SUCCEEDED, FAILED or CANCELLED (close it there), or with an ' +
    '`timeout` event after its maximum duration. A user holds at most a few streams at once (4 by default); one ' +
    'more is answered 429 RATE_LIMITED with Retry-After.',
  tags: ['grabs'],
  auth: 'user',
  request: { params: grabId },
  responses: {
    200: {
      description: 'The event stream.',
      contentType: 'text/event-stream',
      schema: z.string(),
      example: `event: status\nid: SUCCEEDED\ndata: ${JSON.stringify(example)}\n\n`,
    },
  },
  errors: ['NOT_FOUND', 'RATE_LIMITED'],
});

/** The routes of this function (the OpenAPI document finds them by this name). */
export const contracts = [getGrabContract, grabEventsContract];
