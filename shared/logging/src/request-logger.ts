import type { Logger } from 'pino';

export interface RequestLogFields {
  /** W3C trace id (32 hex) when the caller sent a valid `traceparent`. */
  readonly traceId?: string | undefined;
  readonly [key: string]: unknown;
}

/** A child logger whose every line carries the request id (and trace id) for correlation. */
export function requestLogger(logger: Logger, requestId: string, extra: RequestLogFields = {}): Logger {
  const bindings: Record<string, unknown> = { requestId };
  for (const [key, value] of Object.entries(extra)) {
    // An absent trace id is left out rather than logged as `undefined`/`null`.
    if (value !== undefined) bindings[key] = value;
  }
  return logger.child(bindings);
}
