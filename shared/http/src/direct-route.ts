import type { Logger } from '@couponkill/logging';
import type { HttpRequest, HttpResponse, RouteReply } from './types.js';

/**
 * A function's hottest route, taken whole for requests of its plain shape: the kit skips URL
 * parsing, route matching, the route guard, body reading and the contract wrapper, and calls
 * `handle`, which must do what those would have done for such a request (authenticate first,
 * validate what the contract validates). The reply and any error are written, counted and logged
 * exactly as a route's are. A request `accepts` turns down goes the normal way, to the same
 * route, so only the plain shape needs the direct handler.
 */
export interface DirectRoute {
  /** The route label the request metrics count these requests under (the route they stand for). */
  readonly route: string;
  /** Whether `handle` takes this request: only ones the normal path would route to this route. */
  accepts(req: HttpRequest): boolean;
  handle(ctx: DirectContext): Promise<RouteReply>;
}

export interface DirectContext {
  readonly req: HttpRequest;
  readonly res: HttpResponse;
  readonly requestId: string;
  /** Carries `requestId` (and `traceId`) on every line; made on first use. */
  readonly log: Logger;
}
