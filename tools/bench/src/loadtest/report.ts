import type { LoadtestOptions } from './options.js';

export interface LatencySummary {
  readonly min: number;
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

export interface HistogramBucket {
  /** Inclusive lower bound, ms. */
  readonly fromMs: number;
  /** Exclusive upper bound, ms; null for the last (open) bucket. */
  readonly toMs: number | null;
  readonly count: number;
}

export interface InvariantCounts {
  readonly oversell: number;
  readonly overLimit: number;
  readonly lost: number;
  readonly duplicate: number;
  readonly stranded: number;
  readonly line: string;
}

/** Everything a run measured; written as `<out>.json` and rendered as `<out>.html`. */
export interface LoadtestReport {
  readonly options: LoadtestOptions;
  readonly runId: string;
  readonly couponId: string;
  readonly gatewayUrl: string;
  readonly startedAt: string;
  readonly requests: {
    readonly completed: number;
    readonly durationSeconds: number;
    readonly perSecond: number;
    readonly errors: number;
    readonly timeouts: number;
  };
  readonly latencyMs: LatencySummary;
  readonly histogram: readonly HistogramBucket[];
  /** HTTP status → responses. */
  readonly statuses: Readonly<Record<string, number>>;
  /** Error code of the body (QUEUED for a 202) → responses. */
  readonly codes: Readonly<Record<string, number>>;
  readonly accepted: number;
  /** From the last accepted grab until every accepted grab had its order (or compensation); null if not reached. */
  readonly timeToDurableMs: number | null;
  readonly orders: number;
  readonly compensated: number;
  readonly stockLeft: number;
  readonly invariants: InvariantCounts;
}

/** Nearest-rank percentile of ascending values (0 for none). */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? 0;
}

export function summarizeLatencies(latencies: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(latencies).sort();
  let sum = 0;
  for (const value of sorted) sum += value;
  return {
    min: sorted[0] ?? 0,
    mean: sorted.length === 0 ? 0 : sum / sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? 0,
  };
}

/**
 * `buckets` equal buckets from 0 up to the p99 latency (rounded up to a whole ms), and one open
 * bucket for the tail beyond it — so one slow outlier does not squash the whole picture.
 */
export function latencyHistogram(latencies: ArrayLike<number>, buckets = 20): HistogramBucket[] {
  if (latencies.length === 0) return [];
  const sorted = Float64Array.from(latencies).sort();
  const top = Math.max(buckets, Math.ceil(percentile(sorted, 99)));
  const width = top / buckets;
  const counts = new Array<number>(buckets + 1).fill(0);
  for (const value of sorted) {
    const i = value >= top ? buckets : Math.floor(value / width);
    counts[i] = (counts[i] ?? 0) + 1;
  }
  const result: HistogramBucket[] = counts.map((count, i) => ({
    fromMs: round(i * width),
    toMs: i === buckets ? null : round((i + 1) * width),
    count,
  }));
  return (result.at(-1)?.count ?? 0) === 0 ? result.slice(0, -1) : result;
}

const round = (value: number, digits = 2) => Number(value.toFixed(digits));

/** The summary lines printed at the end of a run. */
export function summaryLines(report: LoadtestReport): string[] {
  const { requests, latencyMs: l } = report;
  const ms = (value: number) => `${round(value, 1)} ms`;
  return [
    `requests      ${requests.completed} in ${round(requests.durationSeconds, 1)} s = ${Math.round(requests.perSecond)} req/s (errors ${requests.errors}, timeouts ${requests.timeouts})`,
    `latency       p50 ${ms(l.p50)}  p90 ${ms(l.p90)}  p99 ${ms(l.p99)}  max ${ms(l.max)}`,
    `statuses      ${formatCounts(report.statuses)}`,
    `codes         ${formatCounts(report.codes)}`,
    `accepted      ${report.accepted} (orders ${report.orders}, compensated ${report.compensated}, stock left ${report.stockLeft})`,
    `durable after ${report.timeToDurableMs === null ? 'NOT REACHED' : ms(report.timeToDurableMs)} (from the last accepted grab until every order is durable)`,
    `invariants    ${report.invariants.line}`,
  ];
}

function formatCounts(counts: Readonly<Record<string, number>>): string {
  const entries = Object.entries(counts).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? '(none)' : entries.map(([key, n]) => `${key}=${n}`).join(' ');
}

export function invariantsHold(invariants: InvariantCounts): boolean {
  const { oversell, overLimit, lost, duplicate, stranded } = invariants;
  return oversell + overLimit + lost + duplicate + stranded === 0;
}

export function reportJson(report: LoadtestReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

interface Bar {
  readonly label: string;
  readonly value: number;
  readonly text: string;
  readonly color: string;
}

/** Horizontal bars, one row each, scaled to the largest value. */
function horizontalBars(bars: readonly Bar[]): string {
  const row = 26;
  const labelWidth = 150;
  const barWidth = 420;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const height = bars.length * row + 4;
  const rows = bars.map((b, i) => {
    const y = i * row + 2;
    const w = Math.max(1, Math.round((b.value / max) * barWidth));
    return (
      `<text x="${labelWidth - 8}" y="${y + 17}" text-anchor="end">${escape(b.label)}</text>` +
      `<rect x="${labelWidth}" y="${y + 3}" width="${w}" height="${row - 8}" fill="${b.color}"/>` +
      `<text x="${labelWidth + w + 6}" y="${y + 17}">${escape(b.text)}</text>`
    );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${labelWidth + barWidth + 140}" height="${height}" role="img">${rows.join('')}</svg>`;
}

/** Vertical bars of the latency histogram. */
function histogramSvg(buckets: readonly HistogramBucket[]): string {
  if (buckets.length === 0) return '<p>No responses.</p>';
  const width = 640;
  const height = 220;
  const bottom = 30;
  const slot = width / buckets.length;
  const max = Math.max(1, ...buckets.map((b) => b.count));
  const bars = buckets.map((b, i) => {
    const h = Math.round((b.count / max) * (height - bottom - 10));
    const x = Math.round(i * slot);
    const label = b.toMs === null ? `≥${b.fromMs} ms` : `${b.fromMs}–${b.toMs} ms`;
    return `<rect x="${x + 1}" y="${height - bottom - h}" width="${Math.max(1, Math.floor(slot) - 2)}" height="${h}" fill="${b.toMs === null ? '#c0392b' : '#2e86c1'}"><title>${escape(`${label}: ${b.count}`)}</title></rect>`;
  });
  const first = buckets[0];
  const last = buckets.at(-1);
  const axis =
    `<line x1="0" y1="${height - bottom}" x2="${width}" y2="${height - bottom}" stroke="#555"/>` +
    `<text x="0" y="${height - 10}">${first?.fromMs ?? 0} ms</text>` +
    `<text x="${width}" y="${height - 10}" text-anchor="end">${last?.toMs === null ? `tail ≥ ${last.fromMs} ms` : `${last?.toMs ?? 0} ms`}</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img">${bars.join('')}${axis}</svg>`;
}

const STATUS_COLORS: Record<string, string> = { '2': '#27ae60', '4': '#e67e22', '5': '#c0392b' };

/** A self-contained page: inline CSS and SVG, no scripts, no external assets. */
export function reportHtml(report: LoadtestReport): string {
  const statusBars = Object.entries(report.statuses)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, n]) => ({
      label: `HTTP ${status}`,
      value: n,
      text: String(n),
      color: STATUS_COLORS[status[0] ?? ''] ?? '#7f8c8d',
    }));
  const codeBars = Object.entries(report.codes)
    .sort(([, a], [, b]) => b - a)
    .map(([code, n]) => ({ label: code, value: n, text: String(n), color: code === 'QUEUED' ? '#27ae60' : '#95a5a6' }));
  const l = report.latencyMs;
  const latencyBars = (
    [
      ['p50', l.p50],
      ['p90', l.p90],
      ['p99', l.p99],
      ['max', l.max],
    ] as const
  ).map(([label, value]) => ({ label, value, text: `${round(value, 1)} ms`, color: '#2e86c1' }));
  const ok = invariantsHold(report.invariants);
  const o = report.options;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>CouponKill load test ${escape(report.startedAt)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em auto;max-width:900px;color:#222}
h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.6em}
svg text{font:12px system-ui,sans-serif;fill:#222}
table{border-collapse:collapse}td{padding:2px 12px 2px 0}
.inv{font:15px ui-monospace,monospace;padding:.6em .9em;border-radius:4px;background:${ok ? '#e8f8ef' : '#fdecea'};color:${ok ? '#1e7e45' : '#a93226'}}
</style></head><body>
<h1>CouponKill load test</h1>
<p>${escape(report.startedAt)} · coupon <code>${escape(report.couponId)}</code> · gateway ${escape(report.gatewayUrl)}</p>
<p class="inv">${ok ? '✔' : '✘'} ${escape(report.invariants.line)}</p>
<table>
<tr><td>options</td><td>users ${o.users}, attempts ${o.attempts}, stock ${o.stock}, limit ${o.limit}, ${escape(o.distribution)}, ${o.connections} connections, ramp ${o.rampSeconds} s</td></tr>
<tr><td>throughput</td><td>${report.requests.completed} requests in ${round(report.requests.durationSeconds, 1)} s = <b>${Math.round(report.requests.perSecond)} req/s</b> (errors ${report.requests.errors}, timeouts ${report.requests.timeouts})</td></tr>
<tr><td>accepted</td><td>${report.accepted} (orders ${report.orders}, compensated ${report.compensated}, stock left ${report.stockLeft})</td></tr>
<tr><td>time to durable</td><td>${report.timeToDurableMs === null ? 'not reached' : `${round(report.timeToDurableMs, 0)} ms`} from the last accepted grab</td></tr>
</table>
<h2>Status codes</h2>${horizontalBars(statusBars)}
<h2>Answers</h2>${horizontalBars(codeBars)}
<h2>Latency percentiles</h2>${horizontalBars(latencyBars)}
<h2>Latency histogram (all responses)</h2>${histogramSvg(report.histogram)}
</body></html>
`;
}
