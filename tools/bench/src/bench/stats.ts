/**
 * Pure helpers of `make bench`'s rounds: medians over rounds and a server's CPU time from
 * /proc/<pid>/stat.
 */

/** The median of `values` (the mean of the two middle ones for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** The smallest and the largest of `values` (NaN ignored); [NaN, NaN] when none is left. */
export function minMax(values: readonly number[]): readonly [number, number] {
  const kept = values.filter((v) => !Number.isNaN(v));
  return kept.length === 0 ? [Number.NaN, Number.NaN] : [Math.min(...kept), Math.max(...kept)];
}

/** A process's CPU time so far, in clock ticks (`getconf CLK_TCK`, 100 on Linux). */
export interface ProcCpu {
  readonly comm: string;
  readonly utimeTicks: number;
  readonly stimeTicks: number;
}

/**
 * utime and stime (fields 14 and 15) of a /proc/<pid>/stat line. The command name (field 2) is
 * in parentheses and may itself hold spaces and parentheses, so the fields are counted from the
 * last `)`.
 */
export function parseProcStat(line: string): ProcCpu {
  const open = line.indexOf('(');
  const close = line.lastIndexOf(')');
  if (open < 0 || close < open) throw new Error(`not a /proc/<pid>/stat line: ${line.slice(0, 80)}`);
  // After ") ": field 3 (state) is index 0, so field n is index n - 3.
  const rest = line
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const utime = Number(rest[14 - 3]);
  const stime = Number(rest[15 - 3]);
  if (!Number.isInteger(utime) || !Number.isInteger(stime)) throw new Error(`no utime/stime in ${line.slice(0, 80)}`);
  return { comm: line.slice(open + 1, close), utimeTicks: utime, stimeTicks: stime };
}

/** CPU µs the process spent per request between two readings of its /proc/<pid>/stat. */
export function cpuMicrosPerRequest(before: ProcCpu, after: ProcCpu, requests: number, ticksPerSecond = 100): number {
  if (requests <= 0) return Number.NaN;
  const ticks = after.utimeTicks + after.stimeTicks - (before.utimeTicks + before.stimeTicks);
  return (ticks * 1e6) / ticksPerSecond / requests;
}

/** The whole machine's CPU time, from the first line of /proc/stat (in clock ticks). */
export interface MachineCpu {
  readonly busyTicks: number;
  readonly totalTicks: number;
}

/** `cpu user nice system idle iowait irq softirq steal …`: busy is all but idle and iowait. */
export function parseMachineStat(text: string): MachineCpu {
  const line = text.split('\n', 1)[0] ?? '';
  const fields = line.trim().split(/\s+/);
  if (fields[0] !== 'cpu') throw new Error(`not a /proc/stat cpu line: ${line.slice(0, 80)}`);
  // Guest time is already counted in user and nice.
  const ticks = fields.slice(1, 9).map(Number);
  if (ticks.length < 4 || ticks.some((n) => !Number.isFinite(n))) throw new Error(`bad /proc/stat cpu line: ${line}`);
  const total = ticks.reduce((a, b) => a + b, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return { busyTicks: total - idle, totalTicks: total };
}
