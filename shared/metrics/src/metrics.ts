import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import {
  HTTP_DURATION_BUCKETS,
  HTTP_LABELS,
  HTTP_REQUEST_DURATION_SECONDS,
  HTTP_REQUESTS_TOTAL,
} from './http-metrics.js';

export interface MetricsOptions {
  /** Added as the `service` label to every series of this registry. */
  readonly service: string;
  /** Process and runtime metrics (CPU, heap, event-loop lag, GC); on unless false. */
  readonly collectDefault?: boolean;
}

export interface Metrics {
  readonly registry: Registry;
  counter<L extends string = never>(name: string, help: string, labelNames?: readonly L[]): Counter<L>;
  /** Without `buckets`, prom-client's defaults (5 ms … 10 s) apply. */
  histogram<L extends string = never>(
    name: string,
    help: string,
    labelNames?: readonly L[],
    buckets?: readonly number[],
  ): Histogram<L>;
  gauge<L extends string = never>(name: string, help: string, labelNames?: readonly L[]): Gauge<L>;
  /** Records one finished HTTP request; `route` is the pattern, never the raw path. */
  observeHttp(route: string, method: string, status: number, seconds: number): void;
  /** The Prometheus text exposition of this registry, for `GET /metrics`. */
  render(): Promise<{ contentType: string; body: string }>;
}

/** The one prefix of every metric the project defines (prom-client's process metrics keep theirs). */
export const METRIC_PREFIX = 'couponkill_';

type AnyMetric = Counter<string> | Histogram<string> | Gauge<string>;

interface Registered {
  /** Kind, label names and buckets: what must agree for a second call to get the same metric. */
  readonly signature: string;
  readonly metric: AnyMetric;
}

/**
 * A registry of our own rather than prom-client's global one, so two functions (or two test
 * cases) in one process never collide on metric names.
 */
export function createMetrics(options: MetricsOptions): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service: options.service });
  if (options.collectDefault !== false) collectDefaultMetrics({ register: registry });

  const known = new Map<string, Registered>();

  /**
   * Returns the metric already registered under `name` (a function re-initialised in the same
   * process asks again), and refuses a second definition that disagrees with the first, or a name
   * without the prefix.
   */
  function once<M extends AnyMetric>(name: string, signature: string, make: () => M): M {
    if (!name.startsWith(METRIC_PREFIX)) throw new Error(`metric ${name} must be named ${METRIC_PREFIX}…`);
    const existing = known.get(name);
    if (existing === undefined) {
      const metric = make();
      known.set(name, { signature, metric });
      return metric;
    }
    if (existing.signature !== signature) {
      throw new Error(`metric ${name} is already registered as ${existing.signature}, not ${signature}`);
    }
    return existing.metric as M;
  }

  const signature = (kind: string, labelNames: readonly string[], buckets?: readonly number[]): string =>
    `${kind}(${[...labelNames].sort().join(',')})${buckets === undefined ? '' : `[${buckets.join(',')}]`}`;

  const counter: Metrics['counter'] = (name, help, labelNames = []) =>
    once(name, signature('counter', labelNames), () => new Counter({ name, help, labelNames, registers: [registry] }));

  const gauge: Metrics['gauge'] = (name, help, labelNames = []) =>
    once(name, signature('gauge', labelNames), () => new Gauge({ name, help, labelNames, registers: [registry] }));

  const histogram: Metrics['histogram'] = (name, help, labelNames = [], buckets) =>
    once(
      name,
      signature('histogram', labelNames, buckets),
      // The key must be absent, not undefined, for prom-client to apply its default buckets.
      () => new Histogram({ name, help, labelNames, ...(buckets && { buckets: [...buckets] }), registers: [registry] }),
    );

  const duration = histogram(
    HTTP_REQUEST_DURATION_SECONDS,
    'Time to handle an HTTP request in seconds, by route pattern and status.',
    HTTP_LABELS,
    HTTP_DURATION_BUCKETS,
  );
  // The request count is the histogram's own `_count`, copied at scrape time rather than kept
  // twice per request: on a sold-out answer the second label hash costs a noticeable share.
  once(
    HTTP_REQUESTS_TOTAL,
    signature('counter', HTTP_LABELS),
    () =>
      new Counter({
        name: HTTP_REQUESTS_TOTAL,
        help: 'HTTP requests handled, by route pattern and status.',
        labelNames: HTTP_LABELS,
        registers: [registry],
        async collect() {
          const { values } = await duration.get();
          this.reset();
          for (const { metricName, labels, value } of values)
            if (metricName === `${HTTP_REQUEST_DURATION_SECONDS}_count`) this.inc(labels, value);
        },
      }),
  );

  return {
    registry,
    counter,
    histogram,
    gauge,
    observeHttp(route, method, status, seconds) {
      duration.observe({ route, method, status: String(status) }, seconds);
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
