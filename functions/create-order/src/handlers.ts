import { decodeEvent, fromHttp, grabAccepted } from '@couponkill/events';
import { implement, type Route } from '@couponkill/http';
import { grabAcceptedSinkContract } from './contract.js';
import type { OrderWriter } from './writer.js';

/**
 * The sink a KafkaSource posts to: one binary-mode CloudEvent per request. 2xx only after the
 * order is committed (or the grab compensated); a malformed event is a 4xx, which the source
 * sends to its dead-letter sink instead of retrying; a 5xx means "send it again".
 */
export function createOrderRoutes(writer: OrderWriter): Route[] {
  return [
    implement(grabAcceptedSinkContract, async ({ req, body }) => {
      // The contract checked the headers and data; the decoder checks the assembled event the
      // same way a Kafka consumer does (one attribute schema for every transport).
      const event = decodeEvent(grabAccepted, fromHttp(req.headers, JSON.stringify(body)));
      const outcome = await writer.write(event.data);
      return { status: 200, body: { grabId: event.data.grabId, ...outcome } };
    }),
  ];
}
