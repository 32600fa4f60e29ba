import { AppError, type FieldIssue, isAppError } from './app-error.js';
import type { ErrorCode } from './codes.js';
import { dependencyError } from './dependency.js';

/** The JSON body of every error response. */
export interface ErrorBody {
  readonly error: {
    readonly code: ErrorCode;
    readonly message: string;
    readonly requestId?: string;
    readonly fields?: readonly FieldIssue[];
  };
}

const GENERIC_MESSAGE = 'Something went wrong on our side; the request can be retried.';

/**
 * Maps anything thrown to a client-safe AppError: a dependency that stalled or failed becomes
 * UNAVAILABLE with Retry-After (the client should retry; see dependency.ts), anything else
 * unknown is a bug and becomes INTERNAL.
 */
export function toAppError(err: unknown): AppError {
  if (isAppError(err)) return err;
  return dependencyError(err) ?? new AppError('INTERNAL', GENERIC_MESSAGE, { cause: err });
}

export function errorBody(err: unknown, requestId?: string): ErrorBody {
  const appError = toAppError(err);
  return {
    error: {
      code: appError.code,
      message: appError.message,
      ...(requestId === undefined ? {} : { requestId }),
      ...(appError.fields === undefined ? {} : { fields: appError.fields }),
    },
  };
}
