import { errorBody, toAppError } from '@couponkill/errors';
import type { Logger } from '@couponkill/logging';
import { sendJson } from './send-json.js';
import type { HeaderValues, HttpResponse } from './types.js';

export interface SendErrorOptions {
  readonly requestId?: string;
  readonly logger: Logger;
  /** Extra response headers, e.g. `Allow` on a 405. */
  readonly headers?: HeaderValues;
}

/**
 * Answers with the JSON error body for anything thrown. Only an AppError's code and message reach
 * the client; the original error, with its stack, goes to the log for 5xx only. 4xx are the
 * client's doing and, in a flash sale, very frequent (SOLD_OUT), so they are logged at debug.
 */
export function sendError(res: HttpResponse, err: unknown, options: SendErrorOptions): void {
  const { requestId, logger, headers = {} } = options;
  const appError = toAppError(err);
  if (appError.status >= 500) logger.error({ err, code: appError.code, status: appError.status }, 'request failed');
  else logger.debug({ code: appError.code, status: appError.status, reason: appError.message }, 'request refused');

  if (res.headersSent) {
    // Too late for an error status: cut the connection so the client cannot mistake a truncated
    // response for a complete one.
    if (!res.writableEnded) res.destroy();
    return;
  }
  const out: Record<string, string | number | readonly string[]> = { ...headers };
  if (requestId !== undefined) out['x-request-id'] = requestId;
  if (appError.retryAfterSeconds !== undefined) {
    out['retry-after'] = String(Math.max(0, Math.ceil(appError.retryAfterSeconds)));
  }
  sendJson(res, appError.status, errorBody(appError, requestId), out);
}
