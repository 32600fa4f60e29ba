import { describe, expect, it } from 'vitest';
import { DEFAULTS, defaultOut, describeOptions, parseOptions } from '../src/loadtest/options.js';
import {
  type LoadtestReport,
  invariantsHold,
  latencyHistogram,
  percentile,
  reportHtml,
  reportJson,
  summarizeLatencies,
  summaryLines,
} from '../src/loadtest/report.js';
import { distinctUsers, hotUsers, pickSequence, seededRandom, userPicker } from '../src/loadtest/sampler.js';

const NOW = new Date('2030-11-11T12:00:00.000Z');

describe('parseOptions', () => {
  it('defaults suit a 2-core machine', () => {
    expect(parseOptions([], NOW)).toEqual({
      users: 20_000,
      attempts: 50_000,
      stock: 2_000,
      limit: 2,
      distribution: 'uniform',
      connections: 200,
      rampSeconds: 2,
      out: 'reports/loadtest-2030-11-11T12-00-00-000Z',
    });
    expect(defaultOut(NOW)).not.toMatch(/[:.]/);
  });

  it('reads every option', () => {
    const options = parseOptions(
      [
        '--users=10',
        '--attempts',
        '1_000',
        '--stock=5',
        '--limit=1',
        '--distribution=skewed',
        '--connections=7',
        '--ramp-seconds=0',
        '--out=/tmp/x',
      ],
      NOW,
    );
    expect(options).toEqual({
      users: 10,
      attempts: 1000,
      stock: 5,
      limit: 1,
      distribution: 'skewed',
      connections: 7,
      rampSeconds: 0,
      out: '/tmp/x',
    });
    expect(describeOptions(options)).toBe(
      '--users 10 --attempts 1000 --stock 5 --limit 1 --distribution skewed --connections 7 --ramp-seconds 0 --out /tmp/x',
    );
  });

  it('refuses bad values with a message naming the option', () => {
    expect(() => parseOptions(['--users=0'])).toThrow(/--users must be between 1/);
    expect(() => parseOptions(['--stock=lots'])).toThrow(/--stock must be a whole number/);
    expect(() => parseOptions(['--limit=1.5'])).toThrow(/--limit must be a whole number/);
    expect(() => parseOptions(['--distribution=zipf'])).toThrow(/uniform or skewed/);
    expect(() => parseOptions(['--bogus'])).toThrow();
    expect(() => parseOptions(['extra'])).toThrow();
    expect(DEFAULTS.rampSeconds).toBe(2);
  });
});

describe('user sampler', () => {
  const attempts = 200_000;

  it('uniform: every user about equally often, all in range', () => {
    const picks = pickSequence(attempts, userPicker(1000, 'uniform', seededRandom(1)));
    const counts = new Array<number>(1000).fill(0);
    for (const p of picks) counts[p] = (counts[p] ?? 0) + 1;
    expect(Math.min(...counts)).toBeGreaterThan(120); // expectation 200 each
    expect(Math.max(...counts)).toBeLessThan(290);
    const hot = picks.filter((p) => p < hotUsers(1000)).length / attempts;
    expect(hot).toBeCloseTo(0.1, 2);
  });

  it('skewed: the hot 10% of users make about half the attempts', () => {
    const picks = pickSequence(attempts, userPicker(20_000, 'skewed', seededRandom(2)));
    const hot = hotUsers(20_000);
    expect(hot).toBe(2000);
    const share = picks.filter((p) => p < hot).length / attempts;
    expect(share).toBeGreaterThan(0.49);
    expect(share).toBeLessThan(0.51);
    expect(picks.every((p) => p < 20_000)).toBe(true);
    // The cold users are still all reachable.
    expect(picks.some((p) => p >= 19_990)).toBe(true);
  });

  it('is repeatable with a seed, and distinct users are sorted', () => {
    const a = pickSequence(100, userPicker(50, 'skewed', seededRandom(7)));
    const b = pickSequence(100, userPicker(50, 'skewed', seededRandom(7)));
    expect([...a]).toEqual([...b]);
    const distinct = distinctUsers(a);
    expect(distinct).toEqual([...new Set(a)].sort((x, y) => x - y));
  });

  it('copes with a single user', () => {
    expect([...pickSequence(5, userPicker(1, 'skewed', seededRandom(3)))]).toEqual([0, 0, 0, 0, 0]);
  });
});

describe('report', () => {
  it('percentiles are nearest-rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile([], 50)).toBe(0);
    expect(summarizeLatencies([3, 1, 2])).toEqual({ min: 1, mean: 2, p50: 2, p90: 3, p99: 3, max: 3 });
  });

  it('histogram covers up to p99 and keeps the tail in one open bucket', () => {
    const latencies = [...Array.from({ length: 990 }, (_, i) => (i % 40) + 0.5), 500, 900, ...new Array(8).fill(1000)];
    const buckets = latencyHistogram(latencies, 20);
    expect(buckets.reduce((sum, b) => sum + b.count, 0)).toBe(latencies.length);
    expect(buckets.at(-1)?.toMs).toBeNull();
    expect(buckets[0]?.fromMs).toBe(0);
    expect(latencyHistogram([])).toEqual([]);
    // Without a tail beyond p99 there is no empty open bucket.
    expect(latencyHistogram([1, 2, 3], 4).every((b) => b.toMs !== null)).toBe(true);
  });

  const report: LoadtestReport = {
    options: parseOptions([], NOW),
    runId: 'abc',
    couponId: '01JCOUPON',
    gatewayUrl: 'http://127.0.0.1:8080',
    startedAt: NOW.toISOString(),
    requests: { completed: 50_000, durationSeconds: 25, perSecond: 2000, errors: 0, timeouts: 0 },
    latencyMs: { min: 1, mean: 90, p50: 80, p90: 150, p99: 300, max: 900 },
    histogram: latencyHistogram([10, 20, 30, 900]),
    statuses: { '202': 2000, '409': 48_000 },
    codes: { QUEUED: 2000, SOLD_OUT: 48_000 },
    accepted: 2000,
    timeToDurableMs: 1234,
    orders: 2000,
    compensated: 0,
    stockLeft: 0,
    invariants: {
      oversell: 0,
      overLimit: 0,
      lost: 0,
      duplicate: 0,
      stranded: 0,
      line: 'oversell=0 over_limit=0 lost=0 duplicate=0 stranded=0',
    },
  };

  it('summary lines carry every number', () => {
    const text = summaryLines(report).join('\n');
    expect(text).toContain('2000 req/s');
    expect(text).toContain('p50 80 ms  p90 150 ms  p99 300 ms  max 900 ms');
    expect(text).toContain('202=2000 409=48000');
    expect(text).toContain('durable after 1234 ms');
    expect(text).toContain('invariants    oversell=0 over_limit=0 lost=0 duplicate=0 stranded=0');
    expect(summaryLines({ ...report, timeToDurableMs: null }).join('\n')).toContain('NOT REACHED');
  });

  it('JSON round-trips the report with its options', () => {
    expect(JSON.parse(reportJson(report))).toEqual(report);
  });

  it('HTML is self-contained, escaped, with the statuses, percentiles and invariant line', () => {
    const html = reportHtml({ ...report, couponId: '<script>x</script>' });
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/(src|href)=["']?https?:/i);
    expect(html).not.toContain('<link');
    expect(html).toContain('&#60;script&#62;');
    expect(html).toContain('<svg');
    expect(html).toContain('HTTP 202');
    expect(html).toContain('HTTP 409');
    expect(html).toContain('p99');
    expect(html).toContain('oversell=0 over_limit=0 lost=0 duplicate=0 stranded=0');
    expect(html.length).toBeLessThan(20_000);
  });

  it('invariantsHold is false as soon as one counter is not zero', () => {
    expect(invariantsHold(report.invariants)).toBe(true);
    expect(invariantsHold({ ...report.invariants, stranded: 1 })).toBe(false);
  });
});
