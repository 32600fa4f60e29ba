import { AppError } from '@couponkill/errors';
import { decodeEvent, fromHttp, grabAccepted } from '@couponkill/events';
import { implement, type Route } from '@couponkill/http';
import { deadLetterSinkContract, grabAcceptedSinkContract, redriveContract } from './contract.js';
import { type DeadLetterIndex, type RedriveDeps, type RedriveReport, redriveCoupon } from './dead-letters.js';
import type { OrderWriter } from './writer.js';

export interface CreateOrderDeps {
  readonly writer: OrderWriter;
  readonly deadLetters: DeadLetterIndex;
  readonly redrive: RedriveDeps;
  /** Metrics: a grab was recorded as dead-lettered; a coupon's dead letters were re-driven. */
  readonly onDeadLetter?: () => void;
  readonly onRedrive?: (report: RedriveReport) => void;
}

/**
 * The sink a KafkaSource posts to: one binary-mode CloudEvent per request. 2xx only after the
 * order is committed (or the grab compensated); a malformed event is a 4xx, which the source
 * sends to its dead-letter sink instead of retrying; a 5xx means "send it again". The
 * dead-letter sink and the re-drive job live here too: they need the same stores.
 */
export function createOrderRoutes(deps: CreateOrderDeps): Route[] {
  return [
    implement(grabAcceptedSinkContract, async ({ req, body }) => {
      // The contract checked the headers and data; the decoder checks the assembled event the
      // same way a Kafka consumer does (one attribute schema for every transport).
      const event = decodeEvent(grabAccepted, fromHttp(req.headers, JSON.stringify(body)));
      const outcome = await deps.writer.write(event.data);
      return { status: 200, body: { grabId: event.data.grabId, ...outcome } };
    }),
    implement(deadLetterSinkContract, async ({ req, body, headers, log }) => {
      const event = decodeEvent(grabAccepted, fromHttp(req.headers, JSON.stringify(body)));
      const reason = deadLetterReason(headers['ce-knativeerrorcode'], headers['ce-knativeerrordata']);
      try {
        await deps.deadLetters.record(event.data, reason);
      } catch (err) {
        throw new AppError('UNAVAILABLE', 'The dead letter cannot be recorded right now; retry.', { cause: err });
      }
      deps.onDeadLetter?.();
      log.error({ grabId: event.data.grabId, couponId: event.data.couponId, reason }, 'grab dead-lettered');
      return { status: 200, body: { grabId: event.data.grabId, recorded: true as const } };
    }),
    implement(redriveContract, async ({ body, log }) => {
      const reports = [];
      try {
        for (const couponId of body.couponIds) reports.push(await redriveCoupon(deps.redrive, couponId, body.mode));
      } catch (err) {
        // Grabs re-driven before the failure are settled and out of the index; a rerun does the rest.
        throw new AppError('UNAVAILABLE', 'Dead letters cannot be read right now; retry.', { cause: err });
      }
      for (const report of reports) {
        deps.onRedrive?.(report);
        log.info({ report }, 'dead letters re-driven');
      }
      return { status: 200, body: { reports } };
    }),
  ];
}

/** "HTTP <status>: <last answer>" from what Knative attaches to a dead letter. */
export function deadLetterReason(code: string | undefined, data: string | undefined): string {
  const answer = data === undefined ? '' : Buffer.from(data, 'base64').toString('utf8');
  return [code === undefined ? 'dead-lettered' : `HTTP ${code}`, answer].filter((p) => p !== '').join(': ');
}
