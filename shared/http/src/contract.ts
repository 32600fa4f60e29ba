import { AppError, type ErrorCode } from '@couponkill/errors';
import { z } from 'zod';
import { parseWith } from './parse-with.js';
import type { HttpMethod, Route, RouteContext, RouteReply } from './types.js';

/**
 * Who may call a route: nobody in particular, any signed-in user (bearer JWT), an admin (bearer
 * JWT with the admin role), the scheduler (job token, or an admin token), or the KafkaSource
 * (binary CloudEvents; never routed from the public gateway).
 */
export type RouteAuth = 'none' | 'user' | 'admin' | 'job' | 'event';

/** The zod schemas a route validates its input with; an absent part must be absent (or empty). */
export interface RequestSchemas {
  /** An object over the `:name` segments of the path (percent-decoded strings). */
  readonly params?: z.ZodType;
  /** A strict object: unknown query parameters are refused; a repeated one arrives as an array. */
  readonly query?: z.ZodType;
  /** An object over lower-case header names; headers it does not name are not looked at. */
  readonly headers?: z.ZodType;
  /** The parsed JSON body (undefined when there is none). */
  readonly body?: z.ZodType;
}

export interface ResponseDoc {
  readonly description: string;
  readonly schema?: z.ZodType;
  readonly example?: unknown;
  /** Defaults to JSON; e.g. `text/event-stream` for a stream. */
  readonly contentType?: string;
  /** Response headers worth documenting, name → description. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** What a route promises: its input schemas, its answers and the error codes it may give. */
export interface RouteContract<R extends RequestSchemas = RequestSchemas> {
  readonly method: HttpMethod;
  /** `/api/v1/coupons/:id/grab`; `:name` matches one non-empty segment. */
  readonly path: string;
  /** Unique across the whole API; stable (clients generate method names from it). */
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tags: readonly string[];
  readonly auth: RouteAuth;
  readonly request: R;
  readonly bodyExample?: unknown;
  /** Success answers by status. */
  readonly responses: Readonly<Record<number, ResponseDoc>>;
  /**
   * The route's own refusals. The transport ones (400, 405, 413, 415, 500) and those implied by
   * `auth` (401, 403) are added by the document builder.
   */
  readonly errors: readonly ErrorCode[];
}

type Out<S, Else> = S extends z.ZodType ? z.output<S> : Else;

/** A route context whose input has been validated against the contract. */
export interface ValidatedContext<R extends RequestSchemas> extends Omit<RouteContext, 'params' | 'query' | 'body'> {
  readonly params: Out<R['params'], Readonly<Record<string, never>>>;
  readonly query: Out<R['query'], Readonly<Record<string, never>>>;
  readonly headers: Out<R['headers'], Readonly<Record<string, never>>>;
  readonly body: Out<R['body'], undefined>;
}

/** A route built from a contract; `createHttpFunction` serves it, the OpenAPI builder reads it. */
export interface ContractRoute extends Route {
  readonly contract: RouteContract;
}

/** Types a contract literally (the generic keeps each schema's own type for `implement`). */
export function defineContract<const R extends RequestSchemas>(contract: RouteContract<R>): RouteContract<R> {
  return contract;
}

const NONE = z.strictObject({});

/**
 * Binds a handler to its contract. The input is validated after what `createHttpFunction` checks
 * first (route and method → the caller, by `auth` → content type → size → JSON), in the order
 * path, query, headers, body; each failure is a 400 VALIDATION_FAILED naming every bad field
 * (`query.limit`, …).
 */
export function implement<R extends RequestSchemas>(
  contract: RouteContract<R>,
  handler: (ctx: ValidatedContext<R>) => Promise<RouteReply> | RouteReply,
): ContractRoute {
  const { params, query, headers, body } = contract.request;
  return {
    method: contract.method,
    path: contract.path,
    contract,
    handler(ctx) {
      const validated = {
        req: ctx.req,
        res: ctx.res,
        requestId: ctx.requestId,
        // A getter, so the request's logger is made only if the handler logs (see createHttpFunction).
        get log() {
          return ctx.log;
        },
        params: parseWith(params ?? NONE, ctx.params, 'path'),
        query: parseWith(query ?? NONE, queryObject(ctx.query), 'query'),
        headers: headers === undefined ? {} : parseWith(headers, ctx.req.headers, 'header'),
        body: body === undefined ? noBody(ctx.body) : parseWith(body, ctx.body, 'body'),
      } as ValidatedContext<R>;
      return handler(validated);
    },
  };
}

/** Query parameters as a plain object; a repeated name becomes an array (which a string schema refuses). */
export function queryObject(query: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of query) {
    const seen = Object.hasOwn(out, name) ? out[name] : undefined;
    // defineProperty: a parameter named `__proto__` stays an ordinary own key.
    Object.defineProperty(out, name, {
      value: seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value],
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

function noBody(body: unknown): undefined {
  if (body !== undefined) {
    throw new AppError('VALIDATION_FAILED', 'Invalid body: this endpoint takes no request body.', {
      fields: [{ field: 'body', message: 'must be absent' }],
    });
  }
  return undefined;
}
