import { randomUUID } from 'node:crypto';
import { firstValue, type HeaderMap } from './headers.js';

/**
 * What we accept from a caller: short and free of spaces, quotes and control characters, so an
 * echoed id can neither break a log line nor inject a header.
 */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function newRequestId(): string {
  return randomUUID();
}

/** The caller's `x-request-id` when it is safe to reuse, otherwise a fresh one. */
export function requestIdFrom(headers: HeaderMap): string {
  const incoming = firstValue(headers['x-request-id']);
  return incoming !== undefined && REQUEST_ID.test(incoming) ? incoming : newRequestId();
}
