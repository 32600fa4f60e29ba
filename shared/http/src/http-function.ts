import { AppError } from '@couponkill/errors';
import type { Health } from '@couponkill/health';
import { type Logger, requestIdFrom, requestLogger, traceIdFrom } from '@couponkill/logging';
import type { Metrics } from '@couponkill/metrics';
import { BODY_METHODS, readJsonBody } from './read-body.js';
import { requestUrl } from './request-url.js';
import { compileRoutes, decodeParams, matchRoute } from './router.js';
import { type LazyLogger, logErrorAnswer, loggerFor, sendError } from './send-error.js';
import { sendJson } from './send-json.js';
import { sendCannedError, type Shortcut } from './shortcut.js';
import type { DirectRoute } from './direct-route.js';
import type { ContractRoute, RouteAuth } from './contract.js';
import type { HttpFunction, HttpRequest, HttpResponse, Route, RouteReply } from './types.js';

export interface HttpFunctionOptions {
  /** The functions-framework target name; stamped on log lines as `fn`. */
  readonly name: string;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly health: Health;
  readonly routes: readonly Route[];
  /** Largest accepted request body; a grab is a few hundred bytes. */
  readonly maxBodyBytes?: number;
  /**
   * Checks the caller against a contract route's declared `auth` before the body is read or the
   * input validated, so an anonymous caller learns nothing but 401 (e.g. `routeGuard` of
   * `@couponkill/auth`). Handlers still authenticate for who the caller is (the verifier caches).
   */
  readonly authorize?: (auth: RouteAuth, headers: HttpRequest['headers']) => Promise<void>;
  /** Refusals answered before anything else is done with the request (see `Shortcut`). */
  readonly shortcut?: Shortcut;
  /** The hottest route, taken without the router for requests of its plain shape (see `DirectRoute`). */
  readonly direct?: DirectRoute;
}

/** The body cap of a function that sets none: larger than any request of the API. */
const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

/** Route label for requests that matched no route: raw paths would explode metric cardinality. */
const UNMATCHED = 'unmatched';
const METHOD_LABELS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

type Builtin = (res: HttpResponse) => Promise<void>;

/**
 * Wraps a route table into one `(req, res)` handler for `ff.http`. It owns request ids, health and
 * metrics endpoints, routing, JSON bodies, error responses and request metrics, and it never lets
 * an exception escape (functions-framework would answer an unhandled one with a bare 500).
 */
export function createHttpFunction(options: HttpFunctionOptions): HttpFunction {
  const { logger, metrics, health, shortcut, direct, maxBodyBytes = DEFAULT_MAX_BODY_BYTES } = options;
  const routes = compileRoutes(options.routes);
  const baseLog = logger.child({ fn: options.name });

  // Served here so every function exposes the same probe and scrape endpoints. Not counted in
  // the request metrics: probes and scrapes would drown the real traffic.
  const builtins = new Map<string, Builtin>([
    [
      '/health/liveness',
      async (res) => {
        const live = health.liveness();
        sendJson(res, live.status === 'ok' ? 200 : 503, live);
      },
    ],
    [
      '/health/readiness',
      async (res) => {
        const ready = await health.readiness();
        sendJson(res, ready.ready ? 200 : 503, ready);
      },
    ],
    [
      '/metrics',
      async (res) => {
        const { contentType, body } = await metrics.render();
        res.statusCode = 200;
        res.setHeader('content-type', contentType);
        res.setHeader('cache-control', 'no-store');
        res.end(body);
      },
    ],
  ]);

  function record(log: LazyLogger, route: string, method: string, status: number, ms: number): void {
    try {
      metrics.observeHttp(route, METHOD_LABELS.has(method) ? method : 'OTHER', status, ms / 1000);
      loggerFor(log, 'debug')?.debug({ method, route, status, ms: Math.round(ms) }, 'request handled');
    } catch (err) {
      // Losing one sample is better than failing a request that has already been answered.
      log.make().warn({ err }, 'failed to record request metrics');
    }
  }

  /** Made on first use: most requests write no line (see LazyLogger). */
  function lazyLog(req: HttpRequest, requestId: string): LazyLogger {
    let requestLog: Logger | undefined;
    return {
      base: baseLog,
      make: () => (requestLog ??= requestLogger(baseLog, requestId, { traceId: traceIdFrom(req.headers) })),
    };
  }

  /** Answers a shortcut's refusal: the same response, metrics and log line as the normal path's. */
  function answerShortly(req: HttpRequest, res: HttpResponse, refusal: AppError, started: number): void {
    const requestId = requestIdFrom(req.headers);
    const log = lazyLog(req, requestId);
    try {
      sendCannedError(res, refusal, requestId);
      logErrorAnswer(log, refusal);
    } catch (err) {
      failSafely(res, err, requestId, log);
    }
    record(log, shortcut?.route ?? UNMATCHED, req.method ?? 'GET', res.statusCode, performance.now() - started);
  }

  /** Serves a request the direct route accepted: the same reply, errors, metrics and logs as its route's. */
  async function answerDirectly(route: DirectRoute, req: HttpRequest, res: HttpResponse, started: number) {
    const requestId = requestIdFrom(req.headers);
    const log = lazyLog(req, requestId);
    try {
      const reply = await route.handle({
        req,
        res,
        requestId,
        get log() {
          return log.make();
        },
      });
      if (!res.headersSent) {
        checkReply(reply);
        // With the request id in the one writeHead (an error's has it from sendError).
        sendJson(res, reply.status, reply.body, { 'x-request-id': requestId, ...reply.headers });
      }
    } catch (err) {
      failSafely(res, err, requestId, log);
    } finally {
      record(log, route.route, req.method ?? 'GET', res.statusCode, performance.now() - started);
    }
  }

  return async function handle(req: HttpRequest, res: HttpResponse): Promise<void> {
    const started = performance.now();
    let refusal: AppError | undefined;
    try {
      // A body that may pass the cap goes the normal way, which stops reading it (413) and closes
      // the connection; a shortcut's answer would leave node to drain it all.
      if (shortcut !== undefined && !mayExceed(req, maxBodyBytes)) refusal = shortcut.check(req);
    } catch (err) {
      // A broken shortcut must not cost the request: it goes the normal way.
      baseLog.error({ err }, 'shortcut check failed');
    }
    if (refusal !== undefined) {
      answerShortly(req, res, refusal, started);
      return;
    }
    if (direct !== undefined && acceptsDirectly(direct, req, baseLog)) {
      await answerDirectly(direct, req, res, started);
      return;
    }
    const method = req.method ?? 'GET';
    const requestId = requestIdFrom(req.headers);
    const log = lazyLog(req, requestId);
    let routeLabel: string | undefined = UNMATCHED;
    try {
      res.setHeader('x-request-id', requestId);
      const { path, query } = requestUrl(req);

      const builtin = builtins.get(path);
      if (builtin !== undefined) {
        routeLabel = undefined;
        if (method !== 'GET') throw new MethodNotAllowed(['GET']);
        await builtin(res);
        return;
      }

      const match = matchRoute(routes, method, path);
      if (match.kind === 'none') throw new AppError('NOT_FOUND', 'No such resource.');
      if (match.kind === 'wrong-method') {
        routeLabel = match.pattern;
        throw new MethodNotAllowed(match.allow);
      }
      routeLabel = match.route.path;
      const params = decodeParams(match.rawParams);
      const contract = (match.route as Partial<ContractRoute>).contract;
      if (contract !== undefined && options.authorize !== undefined)
        await options.authorize(contract.auth, req.headers);

      const body = BODY_METHODS.has(method) ? await readJsonBody(req, maxBodyBytes) : undefined;
      const reply = await match.route.handler({
        req,
        res,
        params,
        query,
        requestId,
        get log() {
          return log.make();
        },
        body,
      });
      if (res.headersSent) return; // the handler wrote the response itself
      checkReply(reply);
      sendJson(res, reply.status, reply.body, reply.headers);
    } catch (err) {
      failSafely(res, err, requestId, log);
    } finally {
      if (routeLabel !== undefined) record(log, routeLabel, method, res.statusCode, performance.now() - started);
    }
  };
}

/** Whether the direct route takes the request; a check that throws sends it the normal way. */
function acceptsDirectly(direct: DirectRoute, req: HttpRequest, log: Logger): boolean {
  try {
    return direct.accepts(req);
  } catch (err) {
    log.error({ err }, 'direct route check failed');
    return false;
  }
}

/** Whether the request's body may be larger than `maxBytes`: chunked, or declared larger. */
function mayExceed(req: HttpRequest, maxBytes: number): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const length = req.headers['content-length'];
  return length !== undefined && !(Number(length) <= maxBytes);
}

/** A 405 that carries its `Allow` header to the error response. */
class MethodNotAllowed extends AppError {
  readonly allow: readonly string[];
  constructor(allow: readonly string[]) {
    super('METHOD_NOT_ALLOWED', 'This method is not allowed on this resource.');
    this.allow = allow;
  }
}

function checkReply(reply: unknown): asserts reply is RouteReply {
  const status = (reply as { status?: unknown } | null | undefined)?.status;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) {
    throw new Error(`route handler returned no valid reply (status ${String(status)})`);
  }
}

function failSafely(res: HttpResponse, err: unknown, requestId: string, log: LazyLogger): void {
  try {
    const headers: Record<string, string> = {};
    if (err instanceof MethodNotAllowed) headers['allow'] = err.allow.join(', ');
    // We stopped reading an oversized body: close the connection rather than drain the rest.
    if (err instanceof AppError && err.code === 'PAYLOAD_TOO_LARGE') headers['connection'] = 'close';
    sendError(res, err, { requestId, logger: log, headers });
  } catch (fatal) {
    // Logging or writing the error failed too; still give the client an answer, and throw nothing.
    try {
      log.make().error({ err: fatal }, 'failed to send error response');
    } catch {
      // nowhere left to report it
    }
    if (!res.headersSent) {
      res.statusCode = 500;
      res.end();
    } else if (!res.writableEnded) {
      res.destroy();
    }
  }
}
