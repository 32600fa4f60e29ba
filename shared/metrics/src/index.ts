export { createMetrics, METRIC_PREFIX, type Metrics, type MetricsOptions } from './metrics.js';
export {
  HTTP_DURATION_BUCKETS,
  HTTP_LABELS,
  HTTP_REQUEST_DURATION_SECONDS,
  HTTP_REQUESTS_TOTAL,
  type HttpLabel,
} from './http-metrics.js';
// Re-exported so callers can type their metrics without depending on prom-client themselves.
export type { Counter, Gauge, Histogram, Registry } from 'prom-client';
