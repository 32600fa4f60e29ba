/**
 * Pure helpers of `make bench`: goals, ratios and the printed table. Every figure of the table is
 * put next to a baseline measured in the same run on the same machine.
 */
import { median, minMax } from './stats.js';

/** What a row must reach: a ratio to its baseline, or an absolute bound on its value. */
export type Goal =
  | { readonly kind: 'ratio-at-least'; readonly min: number }
  | { readonly kind: 'ratio-at-most'; readonly max: number }
  | { readonly kind: 'value-at-most'; readonly max: number }
  | { readonly kind: 'value-at-least'; readonly min: number }
  /** The value as a share of its baseline (e.g. memory of its limit), at most `max` (0.7 = 70 %). */
  | { readonly kind: 'share-at-most'; readonly max: number; readonly of: string }
  | { readonly kind: 'none' };

/** One round's figure and, when the row has one, the same round's baseline. */
export interface Sample {
  readonly value: number;
  readonly baseline?: number;
}

export interface Figure {
  readonly name: string;
  readonly unit: string;
  /** What the baseline is, e.g. `hello @100`; absent for a row without baseline. */
  readonly baselineName?: string;
  readonly goal: Goal;
  /** One per round (a single one for a figure measured once). */
  readonly samples: readonly Sample[];
}

export interface EvaluatedFigure extends Figure {
  /** Medians over the samples: of the values, of the baselines, and of each round's own ratio. */
  readonly value: number;
  readonly baseline: number;
  readonly ratio: number;
  /** min–max over the rounds of what the goal judges: the ratio, or the value for value goals. */
  readonly range: readonly [number, number];
  /** undefined when the row has no goal. */
  readonly met: boolean | undefined;
}

export function ratio(value: number, baseline: number | undefined): number {
  return baseline === undefined || baseline === 0 ? Number.NaN : value / baseline;
}

/** Whether the goal judges the value (absolute bounds) rather than the ratio. */
function judgesValue(figure: Figure): boolean {
  return (
    figure.goal.kind === 'value-at-most' ||
    figure.goal.kind === 'value-at-least' ||
    figure.samples.every((s) => s.baseline === undefined)
  );
}

/**
 * Medians over the rounds (each ratio against the same round's baseline, then the median of those
 * ratios), the min–max of what the goal judges, and whether the median meets the goal.
 */
export function evaluate(figure: Figure): EvaluatedFigure {
  const values = figure.samples.map((s) => s.value);
  const baselines = figure.samples.flatMap((s) => (s.baseline === undefined ? [] : [s.baseline]));
  const ratios = figure.samples.map((s) => ratio(s.value, s.baseline));
  const value = median(values);
  const r = median(ratios);
  const goal = figure.goal;
  let met: boolean | undefined;
  switch (goal.kind) {
    case 'ratio-at-least':
      met = Number.isFinite(r) && r >= goal.min;
      break;
    case 'ratio-at-most':
    case 'share-at-most':
      met = Number.isFinite(r) && r <= goal.max;
      break;
    case 'value-at-most':
      met = value <= goal.max;
      break;
    case 'value-at-least':
      met = value >= goal.min;
      break;
    case 'none':
      met = undefined;
  }
  const range = minMax(judgesValue(figure) ? values : ratios);
  return { ...figure, value, baseline: median(baselines), ratio: r, range, met };
}

/** 12345.6 → "12,346"; small values keep one decimal (latencies in ms). */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return 'n/a';
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  return n.toFixed(Math.abs(n) >= 10 ? 1 : 2);
}

export function formatRatio(r: number): string {
  return Number.isFinite(r) ? `${r.toFixed(2)}×` : 'n/a';
}

export function formatGoal(goal: Goal, unit: string): string {
  switch (goal.kind) {
    case 'ratio-at-least':
      return `ratio ≥ ${goal.min}×`;
    case 'ratio-at-most':
      return `ratio ≤ ${goal.max}×`;
    case 'value-at-most':
      return `≤ ${formatNumber(goal.max)} ${unit}`;
    case 'value-at-least':
      return `≥ ${formatNumber(goal.min)} ${unit}`;
    case 'share-at-most':
      return `≤ ${formatPercent(goal.max)} of ${goal.of}`;
    case 'none':
      return '—';
  }
}

/** 0.234 → "23 %". */
export function formatPercent(share: number): string {
  return Number.isFinite(share) ? `${Math.round(share * 100)} %` : 'n/a';
}

/** The ratio cell: a share of the baseline in percent for a share goal, else a multiple. */
function formatRatioOf(f: EvaluatedFigure, r: number): string {
  return f.goal.kind === 'share-at-most' ? formatPercent(r) : formatRatio(r);
}

function formatMet(met: boolean | undefined): string {
  return met === undefined ? '—' : met ? 'yes' : 'NO';
}

/** "3: 0.12–0.15×", "3: 4.00–6.00 ms", or "1" for a figure measured once. */
export function formatRange(f: EvaluatedFigure): string {
  const n = f.samples.length;
  if (n < 2 || !Number.isFinite(f.range[0])) return String(n);
  if (judgesValue(f)) return `${n}: ${formatNumber(f.range[0])}–${formatNumber(f.range[1])} ${f.unit}`;
  if (f.goal.kind === 'share-at-most') return `${n}: ${formatPercent(f.range[0])}–${formatPercent(f.range[1])}`;
  return `${n}: ${f.range[0].toFixed(2)}–${formatRatio(f.range[1])}`;
}

/** The final Markdown table: | figure | value | baseline | ratio | rounds: min–max | goal | met? |. */
export function formatTable(figures: readonly EvaluatedFigure[]): string {
  const header = ['figure', 'value (median)', 'baseline', 'ratio (median)', 'rounds: min–max', 'goal', 'met?'];
  const rows = figures.map((f) => [
    f.name,
    `${formatNumber(f.value)} ${f.unit}`,
    f.baselineName === undefined ? '—' : `${formatNumber(f.baseline)} ${f.unit} (${f.baselineName})`,
    f.baselineName === undefined ? '—' : formatRatioOf(f, f.ratio),
    formatRange(f),
    formatGoal(f.goal, f.unit),
    formatMet(f.met),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  // The separator as Prettier writes it, so the table lands in docs/performance.md already formatted.
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The markers in docs/performance.md between which `make bench` writes its latest results. */
export const RESULTS_BEGIN = '<!-- bench results: written by make bench -->';
export const RESULTS_END = '<!-- end of bench results -->';

/**
 * `doc` with everything between the result markers replaced by `results`; throws when the
 * markers are missing, so a bench run never appends a second table somewhere else.
 */
export function withResults(doc: string, results: string): string {
  const begin = doc.indexOf(RESULTS_BEGIN);
  const end = doc.indexOf(RESULTS_END);
  if (begin < 0 || end < begin) throw new Error(`the results markers ${RESULTS_BEGIN} … ${RESULTS_END} are missing`);
  return `${doc.slice(0, begin + RESULTS_BEGIN.length)}\n\n${results.trim()}\n\n${doc.slice(end)}`;
}

export interface Machine {
  readonly cores: number;
  readonly cpuModel: string;
  readonly node: string;
}

/** The first `model name` of /proc/cpuinfo (`unknown` when absent, e.g. on ARM). */
export function cpuModelOf(cpuinfo: string): string {
  return /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown';
}

export function describeMachine(m: Machine): string {
  return `machine: ${m.cores} cores, ${m.cpuModel}, Node ${m.node}`;
}

/** reports/bench-<timestamp>.json: the ISO time with characters safe in file names. */
export function reportName(at: Date): string {
  return `bench-${at
    .toISOString()
    .replaceAll(':', '-')
    .replace(/\.\d+Z$/, 'Z')}.json`;
}
