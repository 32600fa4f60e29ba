import {
  type AppError,
  DEPENDENCY_RETRY_AFTER_SECONDS,
  DependencyError,
  errorBody,
  toAppError,
} from '@couponkill/errors';
import type { Logger } from '@couponkill/logging';
import { sendJson } from './send-json.js';
import type { HeaderValues, HttpResponse } from './types.js';

export interface SendErrorOptions {
  readonly requestId?: string;
  /** A logger, or one made only when a line is written at a level the base logger has enabled. */
  readonly logger: Logger | LazyLogger;
  /** Extra response headers, e.g. `Allow` on a 405. */
  readonly headers?: HeaderValues;
}

/**
 * A request's logger made on first use: its child logger (request id bindings, redaction) costs
 * more than a sold-out answer, and most answers write no line at the configured level.
 */
export interface LazyLogger {
  /** The logger the child is made from; its level decides whether a line is written. */
  readonly base: Logger;
  readonly make: () => Logger;
}

/** The logger to write a `level` line to, or undefined when that level is off. */
export function loggerFor(logger: Logger | LazyLogger, level: 'debug' | 'info' | 'warn' | 'error'): Logger | undefined {
  if (!('make' in logger)) return logger;
  return logger.base.isLevelEnabled(level) ? logger.make() : undefined;
}

/**
 * Writes the log line of an error answer, at the level its kind deserves (see `sendError`): the
 * normal path and a function's shortcut log the same answer the same way.
 */
export function logErrorAnswer(logger: Logger | LazyLogger, err: unknown, appError: AppError = toAppError(err)): void {
  if (appError.code === 'UNAVAILABLE' && appError.cause === undefined && !(appError instanceof DependencyError)) {
    // Shed on purpose (a paused sale, a full outbox, a grab the fence settled): no failure to
    // trace, and far too frequent in a stall for a stack per request.
    loggerFor(logger, 'info')?.info(
      { code: appError.code, status: appError.status, reason: appError.message },
      'request shed',
    );
  } else if (appError.code === 'UNAVAILABLE') {
    const dependency = appError instanceof DependencyError ? appError.dependency : undefined;
    const reason = appError instanceof DependencyError ? appError.reason : undefined;
    loggerFor(logger, 'warn')?.warn(
      { err: appError.cause ?? err, code: appError.code, status: appError.status, dependency, reason },
      'dependency unavailable',
    );
  } else if (appError.status >= 500) {
    loggerFor(logger, 'error')?.error({ err, code: appError.code, status: appError.status }, 'request failed');
  } else {
    loggerFor(logger, 'debug')?.debug(
      { code: appError.code, status: appError.status, reason: appError.message },
      'request refused',
    );
  }
}

/**
 * Answers with the JSON error body for anything thrown. Only an AppError's code and message reach
 * the client; the original error, with its stack, goes to the log for 5xx only. 4xx are the
 * client's doing and, in a sale, very frequent (SOLD_OUT), so they are logged at debug.
 * UNAVAILABLE means a dependency we wait on stalled or failed: not a bug, so a warning, and always
 * with Retry-After, so clients back off instead of hammering a recovering dependency.
 */
export function sendError(res: HttpResponse, err: unknown, options: SendErrorOptions): void {
  const { requestId, logger, headers = {} } = options;
  const appError = toAppError(err);
  logErrorAnswer(logger, err, appError);

  if (res.headersSent) {
    // Too late for an error status: cut the connection so the client cannot mistake a truncated
    // response for a complete one.
    if (!res.writableEnded) res.destroy();
    return;
  }
  const out: Record<string, string | number | readonly string[]> = { ...headers };
  if (requestId !== undefined) out['x-request-id'] = requestId;
  const retryAfter =
    appError.retryAfterSeconds ?? (appError.code === 'UNAVAILABLE' ? DEPENDENCY_RETRY_AFTER_SECONDS : undefined);
  if (retryAfter !== undefined) out['retry-after'] = String(Math.max(0, Math.ceil(retryAfter)));
  sendJson(res, appError.status, errorBody(appError, requestId), out);
}
