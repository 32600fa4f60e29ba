import { type AppError, errorBody } from '@couponkill/errors';
import type { HttpRequest, HttpResponse } from './types.js';

/**
 * A refusal a function can give from the raw request alone: before the request id is taken, the
 * URL parsed, the route matched, the caller verified or the body read. Only for answers built
 * from public facts (a coupon this instance just saw sold out), since nobody has been
 * authenticated yet. It is what most of a sale's flood gets, so it must cost about what a bare
 * `node:http` answer costs.
 */
export interface Shortcut {
  /** The route label the request metrics count these answers under (the route they stand for). */
  readonly route: string;
  /** The refusal to answer with, or undefined to serve the request the normal way. */
  check(req: HttpRequest): AppError | undefined;
}

interface Canned {
  readonly status: number;
  /** The body up to the request id, and after it. */
  readonly head: string;
  readonly tail: string;
  readonly retryAfter: string | undefined;
}

/** Serialised once per refusal: the refusals a shortcut gives are module-level constants. */
const canned = new WeakMap<AppError, Canned>();
const MARK = '\u0000request-id\u0000';

function cannedOf(err: AppError): Canned {
  let found = canned.get(err);
  if (found === undefined) {
    const [head = '', tail = ''] = JSON.stringify(errorBody(err, MARK)).split(JSON.stringify(MARK).slice(1, -1));
    const retryAfter =
      err.retryAfterSeconds === undefined ? undefined : String(Math.max(0, Math.ceil(err.retryAfterSeconds)));
    found = { status: err.status, head, tail, retryAfter };
    canned.set(err, found);
  }
  return found;
}

/**
 * Writes `err` as `sendError` would (same status, headers and JSON body) from pre-serialised
 * parts. `requestId` is one `requestIdFrom` accepted or made, so it needs no JSON escaping.
 */
export function sendCannedError(res: HttpResponse, err: AppError, requestId: string): void {
  const { status, head, tail, retryAfter } = cannedOf(err);
  const body = head + requestId + tail;
  const headers = [
    'x-request-id',
    requestId,
    'cache-control',
    'no-store',
    'content-type',
    'application/json; charset=utf-8',
    'content-length',
    String(Buffer.byteLength(body)),
  ];
  if (retryAfter !== undefined) headers.push('retry-after', retryAfter);
  res.writeHead(status, headers);
  res.end(body);
}
