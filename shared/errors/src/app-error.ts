import { type ErrorCode, statusOf } from './codes.js';

/** One invalid field of a request, as reported to the client. */
export interface FieldIssue {
  /** Dotted path into the input, e.g. `body.window.start` or `path.couponId`. */
  readonly field: string;
  readonly message: string;
}

export interface AppErrorOptions {
  readonly fields?: readonly FieldIssue[];
  /** Seconds the client should wait before retrying (sent as `Retry-After`). */
  readonly retryAfterSeconds?: number;
  readonly cause?: unknown;
}

/**
 * An error whose code and message are safe to show the caller. Anything thrown that is not an
 * AppError is reported as INTERNAL with a generic message, so internals never leak.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly fields: readonly FieldIssue[] | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = statusOf(code);
    this.fields = options.fields;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}
