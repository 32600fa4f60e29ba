import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@couponkill/logging';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * Node's request plus what Express and functions-framework add to it (a parsed `body`, the raw
 * bytes and the unmounted URL). Written against Node's shapes so the same code runs under
 * `http.createServer` in tests and under `ff.http` in production.
 */
export type HttpRequest = IncomingMessage & {
  readonly body?: unknown;
  readonly rawBody?: Buffer;
  readonly originalUrl?: string;
};

export type HttpResponse = ServerResponse;

export type HeaderValues = Readonly<Record<string, string | number | readonly string[]>>;

export interface RouteContext {
  readonly req: HttpRequest;
  readonly res: HttpResponse;
  /** Percent-decoded path parameters, e.g. `{ id: 'c-42' }` for `/coupons/:id`. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly requestId: string;
  /** Carries `requestId` (and `traceId`) on every line. */
  readonly log: Logger;
  /** Parsed JSON for POST/PUT/PATCH with a body, otherwise undefined; validate with `parseWith`. */
  readonly body: unknown;
}

export interface RouteReply {
  readonly status: number;
  /** Sent as JSON; leave out for an empty response (e.g. 204). */
  readonly body?: unknown;
  readonly headers?: HeaderValues;
}

export interface Route {
  readonly method: HttpMethod;
  /** A pattern such as `/api/v1/coupons/:id/grab`; `:name` matches one non-empty segment. */
  readonly path: string;
  /** Returns the reply or throws (an AppError for an expected refusal). */
  handler(ctx: RouteContext): Promise<RouteReply> | RouteReply;
}

/** What `ff.http(name, handler)` takes; it never rejects. */
export type HttpFunction = (req: HttpRequest, res: HttpResponse) => Promise<void>;
