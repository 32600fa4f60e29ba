/**
 * The closed set of error codes clients may rely on, with the HTTP status each one maps to.
 * A code is part of the public contract: add new ones, never rename or repurpose one.
 */
export const ERROR_CODES = {
  // 400: the request itself is malformed
  BAD_REQUEST: 400,
  VALIDATION_FAILED: 400,
  // 401 / 403: identity
  UNAUTHENTICATED: 401,
  INVALID_CREDENTIALS: 401,
  FORBIDDEN: 403,
  // 404 / 405 / 406 / 413 / 415: routing and transport
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  NOT_ACCEPTABLE: 406,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  // 409 / 410 / 425 / 429: the sale said no
  CONFLICT: 409,
  ALREADY_EXISTS: 409,
  SOLD_OUT: 409,
  LIMIT_REACHED: 409,
  INACTIVE: 409,
  NOT_STARTED: 425,
  ENDED: 410,
  RATE_LIMITED: 429,
  LOGIN_LOCKED: 429,
  // 5xx: our fault or a dependency's, never the client's
  INTERNAL: 500,
  UNAVAILABLE: 503,
  TIMEOUT: 504,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function statusOf(code: ErrorCode): number {
  return ERROR_CODES[code];
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}
