import { firstValue, type HeaderMap } from './headers.js';

// version-traceid-parentid-flags, lower-case hex only (W3C Trace Context, level 1).
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(.*)$/;
const ALL_ZERO = /^0+$/;

/**
 * The trace id of a W3C `traceparent` header, or undefined when it is absent or invalid. Per the
 * spec an invalid header is ignored (we start no trace of our own here), version `ff` is invalid,
 * and a future version may append fields after a `-`.
 */
export function traceIdFrom(headers: HeaderMap): string | undefined {
  const value = firstValue(headers['traceparent'])?.trim();
  if (value === undefined) return undefined;
  const match = TRACEPARENT.exec(value);
  if (match === null) return undefined;
  const [, version, traceId, parentId, , rest] = match;
  if (version === undefined || traceId === undefined || parentId === undefined) return undefined;
  if (version === 'ff') return undefined;
  if (version === '00' ? rest !== '' : rest !== '' && !rest?.startsWith('-')) return undefined;
  if (ALL_ZERO.test(traceId) || ALL_ZERO.test(parentId)) return undefined;
  return traceId;
}
