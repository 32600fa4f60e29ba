/**
 * Pure helpers of `make bench`: goals, ratios and the printed table. Every figure of the table is
 * put next to a baseline measured in the same run on the same machine.
 */

/** What a row must reach: a ratio to its baseline, or an absolute bound on its value. */
export type Goal =
  | { readonly kind: 'ratio-at-least'; readonly min: number }
  | { readonly kind: 'value-at-most'; readonly max: number }
  | { readonly kind: 'value-at-least'; readonly min: number }
  | { readonly kind: 'none' };

export interface Figure {
  readonly name: string;
  readonly value: number;
  readonly baseline: number;
  readonly unit: string;
  /** What the baseline is, e.g. `node:http hello @500`. */
  readonly baselineName: string;
  readonly goal: Goal;
}

export interface EvaluatedFigure extends Figure {
  readonly ratio: number;
  /** undefined when the row has no goal. */
  readonly met: boolean | undefined;
}

export function ratio(value: number, baseline: number): number {
  return baseline === 0 ? Number.NaN : value / baseline;
}

export function evaluate(figure: Figure): EvaluatedFigure {
  const r = ratio(figure.value, figure.baseline);
  const goal = figure.goal;
  let met: boolean | undefined;
  switch (goal.kind) {
    case 'ratio-at-least':
      met = Number.isFinite(r) && r >= goal.min;
      break;
    case 'value-at-most':
      met = figure.value <= goal.max;
      break;
    case 'value-at-least':
      met = figure.value >= goal.min;
      break;
    case 'none':
      met = undefined;
  }
  return { ...figure, ratio: r, met };
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
    case 'value-at-most':
      return `≤ ${formatNumber(goal.max)} ${unit}`;
    case 'value-at-least':
      return `≥ ${formatNumber(goal.min)} ${unit}`;
    case 'none':
      return '—';
  }
}

function formatMet(met: boolean | undefined): string {
  return met === undefined ? '—' : met ? 'yes' : 'NO';
}

/** The final Markdown table: | figure | value | baseline | ratio | goal | met? |. */
export function formatTable(figures: readonly EvaluatedFigure[]): string {
  const header = ['figure', 'value', 'baseline', 'ratio', 'goal', 'met?'];
  const rows = figures.map((f) => [
    f.name,
    `${formatNumber(f.value)} ${f.unit}`,
    `${formatNumber(f.baseline)} ${f.unit} (${f.baselineName})`,
    formatRatio(f.ratio),
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
