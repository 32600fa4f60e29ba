import { describe, expect, it } from 'vitest';
import {
  cpuModelOf,
  describeMachine,
  evaluate,
  type Figure,
  formatGoal,
  formatNumber,
  formatRatio,
  formatTable,
  ratio,
  reportName,
  RESULTS_BEGIN,
  RESULTS_END,
  withResults,
} from '../src/bench/report.js';

const figure = (over: Partial<Figure>): Figure => ({
  name: 'grab req/s @500',
  value: 6000,
  baseline: 10_000,
  baselineName: 'hello @500',
  unit: 'req/s',
  goal: { kind: 'ratio-at-least', min: 0.5 },
  ...over,
});

describe('ratio and goals', () => {
  it('divides by the baseline, NaN for a zero baseline', () => {
    expect(ratio(5, 10)).toBe(0.5);
    expect(ratio(5, 0)).toBeNaN();
  });

  it('a ratio goal is met at or above its minimum', () => {
    expect(evaluate(figure({ value: 5000 }))).toMatchObject({ ratio: 0.5, met: true });
    expect(evaluate(figure({ value: 4999 })).met).toBe(false);
    expect(evaluate(figure({ baseline: 0 })).met).toBe(false);
  });

  it('absolute goals look at the value, not the ratio', () => {
    expect(evaluate(figure({ value: 9.9, unit: 'ms', goal: { kind: 'value-at-most', max: 10 } })).met).toBe(true);
    expect(evaluate(figure({ value: 10.1, unit: 'ms', goal: { kind: 'value-at-most', max: 10 } })).met).toBe(false);
    expect(evaluate(figure({ value: 5000, goal: { kind: 'value-at-least', min: 5000 } })).met).toBe(true);
    expect(evaluate(figure({ value: 4999, goal: { kind: 'value-at-least', min: 5000 } })).met).toBe(false);
  });

  it('a row without goal is neither met nor missed', () => {
    expect(evaluate(figure({ goal: { kind: 'none' } })).met).toBeUndefined();
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
    expect(formatGoal({ kind: 'value-at-least', min: 5000 }, 'orders/s')).toBe('≥ 5,000 orders/s');
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
    expect(lines[0]).toMatch(/^\| figure +\| value +\| baseline +\| ratio +\| goal +\| met\? +\|$/);
    expect(lines[1]).toMatch(/^\| -+ \| -+ \| -+ \| -+ \| -+ \| -+ \|$/);
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
    expect(lines[2]).toContain('| 6,000 req/s');
    expect(lines[2]).toContain('10,000 req/s (hello @500)');
    expect(lines[2]).toContain('| 0.60× ');
    expect(lines[2]).toMatch(/\| yes +\|$/);
    expect(lines[3]).toMatch(/\| NO +\|$/);
    expect(lines[4]).toMatch(/\| — +\| — +\|$/);
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
