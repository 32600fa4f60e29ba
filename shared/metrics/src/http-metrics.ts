/** Names of the request metrics every HTTP function records (see `observeHttp`). */
export const HTTP_REQUESTS_TOTAL = 'couponkill_http_requests_total';
export const HTTP_REQUEST_DURATION_SECONDS = 'couponkill_http_request_duration_seconds';

export const HTTP_LABELS = ['route', 'method', 'status'] as const;
export type HttpLabel = (typeof HTTP_LABELS)[number];

/**
 * Request latency buckets in seconds. A grab is a Redis round trip or two, so the resolution is
 * at the low end; anything past 2.5 s has already failed the client.
 */
export const HTTP_DURATION_BUCKETS: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
];
