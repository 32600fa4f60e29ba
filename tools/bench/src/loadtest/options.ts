import { parseArgs } from 'node:util';

export type Distribution = 'uniform' | 'skewed';

export interface LoadtestOptions {
  /** Synthetic users the attempts are spread over. */
  readonly users: number;
  /** Grab requests sent in all. */
  readonly attempts: number;
  /** Stock of the coupon created for the run. */
  readonly stock: number;
  /** Per-user limit of that coupon. */
  readonly limit: number;
  readonly distribution: Distribution;
  /** Open connections once the ramp is over. */
  readonly connections: number;
  /** Connections are added in steps over this many seconds (0 = all at once). */
  readonly rampSeconds: number;
  /** The report is written to `<out>.json` and `<out>.html`. */
  readonly out: string;
}

/** Defaults sized for a 2-core machine running all of `make dev` beside the load generator. */
export const DEFAULTS = {
  users: 20_000,
  attempts: 50_000,
  stock: 2_000,
  limit: 2,
  distribution: 'uniform',
  connections: 200,
  rampSeconds: 2,
} as const satisfies Omit<LoadtestOptions, 'out'>;

export const USAGE = `make loadtest ARGS='[--users N] [--attempts N] [--stock N] [--limit N] [--distribution uniform|skewed] [--connections N] [--ramp-seconds S] [--out PATH]'`;

/** `reports/loadtest-2030-11-11T12-00-00-000Z`: a file-name-safe default report path. */
export function defaultOut(now: Date): string {
  return `reports/loadtest-${now.toISOString().replace(/[:.]/g, '-')}`;
}

/** Parses the command line; throws an Error whose message says what is wrong. */
export function parseOptions(argv: readonly string[], now = new Date()): LoadtestOptions {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      users: { type: 'string' },
      attempts: { type: 'string' },
      stock: { type: 'string' },
      limit: { type: 'string' },
      distribution: { type: 'string' },
      connections: { type: 'string' },
      'ramp-seconds': { type: 'string' },
      out: { type: 'string' },
    },
  });
  const distribution = values.distribution ?? DEFAULTS.distribution;
  if (distribution !== 'uniform' && distribution !== 'skewed') {
    throw new Error(`--distribution must be uniform or skewed, not ${distribution}`);
  }
  const options: LoadtestOptions = {
    users: integer('users', values.users, DEFAULTS.users, 1, 1_000_000),
    attempts: integer('attempts', values.attempts, DEFAULTS.attempts, 1, 10_000_000),
    stock: integer('stock', values.stock, DEFAULTS.stock, 1, 10_000_000),
    limit: integer('limit', values.limit, DEFAULTS.limit, 1, 100),
    distribution,
    connections: integer('connections', values.connections, DEFAULTS.connections, 1, 10_000),
    rampSeconds: integer('ramp-seconds', values['ramp-seconds'], DEFAULTS.rampSeconds, 0, 600),
    out: values.out ?? defaultOut(now),
  };
  if (options.out.trim() === '') throw new Error('--out must not be empty');
  return options;
}

function integer(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw.replace(/_/g, ''))) throw new Error(`--${name} must be a whole number, not ${raw}`);
  const value = Number(raw.replace(/_/g, ''));
  if (value < min || value > max) throw new Error(`--${name} must be between ${min} and ${max}, not ${raw}`);
  return value;
}

/** The options as printed at the start of a run (one line). */
export function describeOptions(options: LoadtestOptions): string {
  return [
    `--users ${options.users}`,
    `--attempts ${options.attempts}`,
    `--stock ${options.stock}`,
    `--limit ${options.limit}`,
    `--distribution ${options.distribution}`,
    `--connections ${options.connections}`,
    `--ramp-seconds ${options.rampSeconds}`,
    `--out ${options.out}`,
  ].join(' ');
}
