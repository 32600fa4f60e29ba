import { describe, expect, it } from 'vitest';
import {
  cpuModelOf,
  describeMachine,
  evaluate,
  type Figure,
  formatGoal,
  formatNumber,
  formatRange,
  formatRatio,
  formatTable,
  ratio,
  reportName,
  RESULTS_BEGIN,
  RESULTS_END,
  withResults,
} from '../src/bench/report.js';
import { cpuMicrosPerRequest, median, minMax, parseMachineStat, parseProcStat } from '../src/bench/stats.js';

const figure = (over: Partial<Figure> & { value?: number; baseline?: number }): Figure => {
  const { value = 6000, baseline = 10_000, ...rest } = over;
  return {
    name: 'grab req/s @500',
    baselineName: 'hello @500',
    unit: 'req/s',
    goal: { kind: 'ratio-at-least', min: 0.5 },
    samples: [{ value, baseline }],
    ...rest,
  };
};

describe('median and min–max', () => {
  it('the middle value, the mean of the two middle ones for an even count', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(median([])).toBeNaN();
    expect(median([Number.NaN, 5, 1, Number.NaN, 3])).toBe(3);
  });

  it('does not reorder its input', () => {
    const values = [3, 1, 2];
    median(values);
    expect(values).toEqual([3, 1, 2]);
  });

  it('min and max, NaN ignored', () => {
    expect(minMax([3, 1, 2])).toEqual([1, 3]);
    expect(minMax([Number.NaN, 2])).toEqual([2, 2]);
    expect(minMax([])).toEqual([Number.NaN, Number.NaN]);
  });
});

describe('/proc/<pid>/stat', () => {
  // A real line (Linux 6.x, fields 14 and 15: utime 1234, stime 56).
  const line =
    '4242 (node) S 4200 4242 4200 0 -1 4194560 22069 0 0 0 1234 56 0 0 20 0 11 0 98765 1189720064 24040 18446744073709551615 1 1 0 0 0 0 0 4096 134234626 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n';

  it('reads utime and stime after the command name', () => {
    expect(parseProcStat(line)).toEqual({ comm: 'node', utimeTicks: 1234, stimeTicks: 56 });
  });

  it('counts the fields from the last parenthesis: a command name may hold spaces and parentheses', () => {
    const odd = line.replace('(node)', '(a b) (c)');
    expect(parseProcStat(odd)).toEqual({ comm: 'a b) (c', utimeTicks: 1234, stimeTicks: 56 });
  });

  it('refuses what is not a stat line', () => {
    expect(() => parseProcStat('')).toThrow(/stat/);
    expect(() => parseProcStat('1 (x) S 1 2')).toThrow(/utime/);
  });

  it("reads the machine's busy and total ticks from /proc/stat: idle and iowait are not busy", () => {
    const stat = 'cpu  100 5 50 800 20 3 2 1 0 0\ncpu0 50 2 25 400 10 1 1 0 0 0\n';
    expect(parseMachineStat(stat)).toEqual({ busyTicks: 161, totalTicks: 981 });
    expect(() => parseMachineStat('intr 1 2 3')).toThrow(/cpu line/);
  });

  it('CPU µs per request: utime + stime delta over the requests', () => {
    const before = { comm: 'node', utimeTicks: 1000, stimeTicks: 100 };
    const after = { comm: 'node', utimeTicks: 1400, stimeTicks: 200 };
    // 500 ticks at 100 per second = 5 s of CPU over 50,000 requests = 100 µs each.
    expect(cpuMicrosPerRequest(before, after, 50_000)).toBe(100);
    expect(cpuMicrosPerRequest(before, after, 50_000, 250)).toBe(40);
    expect(cpuMicrosPerRequest(before, after, 0)).toBeNaN();
  });
});

describe('ratio and goals', () => {
  it('divides by the baseline, NaN for a zero or missing baseline', () => {
    expect(ratio(5, 10)).toBe(0.5);
    expect(ratio(5, 0)).toBeNaN();
    expect(ratio(5, undefined)).toBeNaN();
  });

  it('a ratio goal is met at or above its minimum', () => {
    expect(evaluate(figure({ value: 5000 }))).toMatchObject({ ratio: 0.5, met: true });
    expect(evaluate(figure({ value: 4999 })).met).toBe(false);
    expect(evaluate(figure({ baseline: 0 })).met).toBe(false);
  });

  it('a ratio-at-most goal is met at or below its maximum (p99 ÷ p50)', () => {
    const goal = { kind: 'ratio-at-most', max: 5 } as const;
    expect(evaluate(figure({ value: 50, baseline: 10, unit: 'ms', goal })).met).toBe(true);
    expect(evaluate(figure({ value: 51, baseline: 10, unit: 'ms', goal })).met).toBe(false);
  });

  it('absolute goals look at the value, not the ratio', () => {
    expect(evaluate(figure({ value: 9.9, unit: 'ms', goal: { kind: 'value-at-most', max: 10 } })).met).toBe(true);
    expect(evaluate(figure({ value: 10.1, unit: 'ms', goal: { kind: 'value-at-most', max: 10 } })).met).toBe(false);
    expect(evaluate(figure({ value: 5000, goal: { kind: 'value-at-least', min: 5000 } })).met).toBe(true);
    expect(evaluate(figure({ value: 4999, goal: { kind: 'value-at-least', min: 5000 } })).met).toBe(false);
  });

  it('a share goal is met at or below its share of the baseline (memory of its limit)', () => {
    const goal = { kind: 'share-at-most', max: 0.7, of: 'limit' } as const;
    expect(evaluate(figure({ value: 358.4, baseline: 512, unit: 'MiB', goal })).met).toBe(true);
    expect(evaluate(figure({ value: 359, baseline: 512, unit: 'MiB', goal })).met).toBe(false);
  });

  it('a row without goal is neither met nor missed', () => {
    expect(evaluate(figure({ goal: { kind: 'none' } })).met).toBeUndefined();
  });

  it('over rounds: the median of each round’s own ratio, judged by the goal, with its min–max', () => {
    // Round ratios 0.4, 0.6, 0.55: median 0.55 (not the ratio of the medians, 5500 / 10000).
    const f = evaluate(
      figure({
        samples: [
          { value: 4000, baseline: 10_000 },
          { value: 6000, baseline: 10_000 },
          { value: 5500, baseline: 10_000 },
        ],
      }),
    );
    expect(f).toMatchObject({ value: 5500, baseline: 10_000, met: true, range: [0.4, 0.6] });
    expect(f.ratio).toBeCloseTo(0.55);
    const rounds = evaluate(
      figure({
        samples: [
          { value: 1000, baseline: 1000 },
          { value: 1000, baseline: 4000 },
          { value: 4000, baseline: 9000 },
        ],
      }),
    );
    // Ratios 1, 0.25, 0.44: median 0.44, though the median value over the median baseline is 0.25.
    expect(rounds.ratio).toBeCloseTo(4 / 9);
    expect(rounds.met).toBe(false);
  });

  it('value goals judge the median value and show the range of the values', () => {
    const f = evaluate({
      name: 'spawn → ready',
      unit: 'ms',
      goal: { kind: 'value-at-most', max: 300 },
      samples: [{ value: 280 }, { value: 900 }, { value: 250 }],
    });
    expect(f).toMatchObject({ value: 280, met: true, range: [250, 900] });
    expect(f.ratio).toBeNaN();
    expect(formatRange(f)).toBe('3: 250–900 ms');
  });
});

describe('formatting', () => {
  it('numbers: thousands separators from 100, decimals below', () => {
    expect(formatNumber(12_345.6)).toBe('12,346');
    expect(formatNumber(191)).toBe('191');
    expect(formatNumber(27)).toBe('27.0');
    expect(formatNumber(9)).toBe('9.00');
    expect(formatNumber(Number.NaN)).toBe('n/a');
  });

  it('ratios and goals', () => {
    expect(formatRatio(0.14369)).toBe('0.14×');
    expect(formatRatio(Number.POSITIVE_INFINITY)).toBe('n/a');
    expect(formatGoal({ kind: 'ratio-at-least', min: 10 }, 'orders/s')).toBe('ratio ≥ 10×');
    expect(formatGoal({ kind: 'value-at-most', max: 10 }, 'ms')).toBe('≤ 10.0 ms');
    expect(formatGoal({ kind: 'ratio-at-most', max: 5 }, 'ms')).toBe('ratio ≤ 5×');
    expect(formatGoal({ kind: 'value-at-least', min: 5000 }, 'orders/s')).toBe('≥ 5,000 orders/s');
    expect(formatGoal({ kind: 'share-at-most', max: 0.7, of: 'limit' }, 'MiB')).toBe('≤ 70 % of limit');
    expect(formatGoal({ kind: 'none' }, 'ms')).toBe('—');
  });

  it('the table has the six columns, aligned, and marks missed goals', () => {
    const table = formatTable([
      evaluate(figure({})),
      evaluate(
        figure({ name: 'grab p99', value: 191, baseline: 27, unit: 'ms', goal: { kind: 'value-at-most', max: 10 } }),
      ),
      evaluate(figure({ name: 'other', goal: { kind: 'none' } })),
    ]);
    const lines = table.split('\n');
    expect(lines[0]).toMatch(
      /^\| figure +\| value \(median\) +\| baseline +\| ratio \(median\) +\| rounds: min–max +\| goal +\| met\? +\|$/,
    );
    expect(lines[1]).toMatch(/^\| -+ \| -+ \| -+ \| -+ \| -+ \| -+ \| -+ \|$/);
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
    expect(lines[2]).toContain('| 6,000 req/s');
    expect(lines[2]).toContain('10,000 req/s (hello @500)');
    expect(lines[2]).toContain('| 0.60× ');
    expect(lines[2]).toMatch(/\| 1 +\|/);
    expect(lines[2]).toMatch(/\| yes +\|$/);
    expect(lines[3]).toMatch(/\| NO +\|$/);
    expect(lines[4]).toMatch(/\| — +\| — +\|$/);
  });

  it('a share row shows its ratio in percent', () => {
    const row = formatTable([
      evaluate({
        name: 'memory grab-coupon peak RSS',
        unit: 'MiB',
        baselineName: 'chart limit',
        goal: { kind: 'share-at-most', max: 0.7, of: 'limit' },
        samples: [{ value: 307.2, baseline: 512 }],
      }),
    ]).split('\n')[2];
    expect(row).toMatch(/\| 307 MiB +\| 512 MiB \(chart limit\) +\| 60 % +\| 1 +\| ≤ 70 % of limit \| yes +\|$/);
  });
});

describe('the results in docs/performance.md', () => {
  const page = `# Performance\n\nintro\n\n${RESULTS_BEGIN}\n\nold table\n\n${RESULTS_END}\n\nafter\n`;

  it('replaces only what lies between the markers, and again the same way', () => {
    const once = withResults(page, '| new |\n');
    expect(once).toBe(`# Performance\n\nintro\n\n${RESULTS_BEGIN}\n\n| new |\n\n${RESULTS_END}\n\nafter\n`);
    expect(withResults(once, '| new |')).toBe(once);
  });

  it('refuses a page without the markers', () => {
    expect(() => withResults('# Performance\n', 'table')).toThrow(/markers/);
  });
});

describe('machine and report name', () => {
  it('takes the first model name of /proc/cpuinfo', () => {
    const cpuinfo = 'processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Processor\n\nprocessor\t: 1\nmodel name\t: other\n';
    expect(cpuModelOf(cpuinfo)).toBe('Intel(R) Xeon(R) Processor');
    expect(cpuModelOf('processor : 0\n')).toBe('unknown');
    expect(describeMachine({ cores: 2, cpuModel: 'X', node: 'v24.21.0' })).toBe('machine: 2 cores, X, Node v24.21.0');
  });

  it('names the report after the time, safe in file names', () => {
    expect(reportName(new Date('2030-11-11T12:00:01.234Z'))).toBe('bench-2030-11-11T12-00-01Z.json');
  });
});
