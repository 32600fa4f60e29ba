/**
 * Resident memory of `make bench`'s processes under the whole sale: VmRSS from /proc/<pid>/status,
 * sampled every 250 ms, summed up as the peak and the plateau (the last quarter of the samples),
 * next to the memory limit the chart gives the function (functions/<name>/function.yaml).
 */
import { readFileSync } from 'node:fs';
import { loadManifests } from '@couponkill/manifest';
import { median } from './stats.js';

const MIB = 1024 * 1024;

/** VmRSS of a /proc/<pid>/status text, in bytes (the kernel writes it in kB, i.e. KiB). */
export function vmRssBytes(status: string): number {
  const found = /^VmRSS:\s*(\d+)\s*kB$/m.exec(status);
  if (found?.[1] === undefined) throw new Error('no VmRSS line in /proc/<pid>/status');
  return Number(found[1]) * 1024;
}

const UNITS: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};

/** A Kubernetes memory quantity (`512Mi`, `1G`, `268435456`) in bytes. */
export function memoryQuantityBytes(quantity: string): number {
  const found = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T|)$/.exec(quantity.trim());
  const unit = found === null ? undefined : UNITS[found[2] ?? ''];
  if (found === null || unit === undefined) throw new Error(`not a memory quantity: ${quantity}`);
  return Number(found[1]) * unit;
}

/** The memory limit the chart gives each function (`scaling.resources.limits.memory`), in bytes. */
export function chartMemoryLimits(root: string): Map<string, number> {
  const limits = new Map<string, number>();
  for (const m of loadManifests(root)) {
    const limit = m.scaling.resources.limits?.memory;
    if (limit !== undefined) limits.set(m.name, memoryQuantityBytes(limit));
  }
  return limits;
}

export interface RssSummary {
  readonly samples: number;
  /** The first sample (the process before the sale's load reached it), MiB. */
  readonly firstMiB: number;
  readonly peakMiB: number;
  /** The median of the last quarter of the samples (at least one), MiB. */
  readonly plateauMiB: number;
}

/** Peak and plateau of one process's samples (bytes, in the order taken). */
export function summarizeRss(samples: readonly number[]): RssSummary {
  if (samples.length === 0) return { samples: 0, firstMiB: Number.NaN, peakMiB: Number.NaN, plateauMiB: Number.NaN };
  const lastQuarter = samples.slice(samples.length - Math.max(1, Math.floor(samples.length / 4)));
  return {
    samples: samples.length,
    firstMiB: (samples[0] ?? Number.NaN) / MIB,
    peakMiB: Math.max(...samples) / MIB,
    plateauMiB: median(lastQuarter) / MIB,
  };
}

export interface ProcessMemory extends RssSummary {
  readonly name: string;
  readonly pid: number;
  /** Read from the function's /metrics once the sale is durable, before it stops. */
  readonly atEnd?: HeapBreakdown;
  /** The chart's memory limit of the function, MiB; absent for a process the chart does not run. */
  readonly limitMiB?: number;
}

/** `grab-coupon peak 98 MiB, plateau 91 MiB, limit 512 MiB: 81 % headroom` (headroom of the peak). */
export function describeMemory(m: ProcessMemory): string {
  const head = `${m.name} peak ${Math.round(m.peakMiB)} MiB, plateau ${Math.round(m.plateauMiB)} MiB (last quarter of ${m.samples} samples)`;
  if (m.limitMiB === undefined) return `${head}, no chart limit`;
  return `${head}, chart limit ${Math.round(m.limitMiB)} MiB: ${Math.round((1 - m.peakMiB / m.limitMiB) * 100)} % headroom`;
}

/** Where a function's memory is, from its Prometheus metrics (prom-client's default metrics), MiB. */
export interface HeapBreakdown {
  readonly rssMiB: number;
  /** The V8 heap: committed (total) and in use. */
  readonly heapTotalMiB: number;
  readonly heapUsedMiB: number;
  /** Committed per V8 space (new, old, code, large_object, …); empty spaces left out. */
  readonly spacesMiB: Readonly<Record<string, number>>;
  /** Memory outside the V8 heap held by JS objects (Buffers, ArrayBuffers). */
  readonly externalMiB: number;
}

/** The breakdown of a `/metrics` text (labels ignored); NaN for a metric it lacks. */
export function heapBreakdown(metrics: string): HeapBreakdown {
  const value = (name: string) => {
    const found = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(metrics);
    return found?.[1] === undefined ? Number.NaN : Number(found[1]) / MIB;
  };
  const spacesMiB: Record<string, number> = {};
  for (const [, space, bytes] of metrics.matchAll(
    /^nodejs_heap_space_size_total_bytes\{[^}]*\bspace="([^"]+)"[^}]*\} (\S+)$/gm,
  )) {
    if (space !== undefined && Number(bytes) > 0) spacesMiB[space] = Number(bytes) / MIB;
  }
  return {
    rssMiB: value('process_resident_memory_bytes'),
    heapTotalMiB: value('nodejs_heap_size_total_bytes'),
    heapUsedMiB: value('nodejs_heap_size_used_bytes'),
    spacesMiB,
    externalMiB: value('nodejs_external_memory_bytes'),
  };
}

/** `RSS 557 MiB = V8 heap 420 committed (120 in use; old 350, new 48, …) + external 12 + 125 else`. */
export function describeHeap(h: HeapBreakdown): string {
  const spaces = Object.entries(h.spacesMiB)
    .sort(([, a], [, b]) => b - a)
    .map(([space, mib]) => `${space} ${Math.round(mib)}`)
    .join(', ');
  const rest = h.rssMiB - h.heapTotalMiB - h.externalMiB;
  return (
    `RSS ${Math.round(h.rssMiB)} MiB = V8 heap ${Math.round(h.heapTotalMiB)} committed (${Math.round(h.heapUsedMiB)} in use; ${spaces})` +
    ` + external ${Math.round(h.externalMiB)} + ${Math.round(rest)} else (native: machine code, stacks, malloc, V8's idle pages)`
  );
}

/**
 * Samples VmRSS of the named processes every `intervalMs` until stopped. A process that is gone
 * (or unreadable) is skipped for that tick.
 */
export class RssSampler {
  readonly #samples = new Map<string, number[]>();
  readonly #timer: NodeJS.Timeout;

  constructor(
    readonly targets: ReadonlyArray<{ readonly name: string; readonly pid: number }>,
    intervalMs = 250,
  ) {
    for (const t of targets) this.#samples.set(t.name, []);
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), intervalMs);
  }

  #sample(): void {
    for (const t of this.targets) {
      try {
        this.#samples.get(t.name)?.push(vmRssBytes(readFileSync(`/proc/${t.pid}/status`, 'utf8')));
      } catch {
        // gone or not Linux: no sample this tick
      }
    }
  }

  /** The last sample of each process, e.g. `grab-coupon 96, outbox-relay 81 MiB`. */
  latestLine(): string {
    const latest = this.targets.map((t) => {
      const last = this.#samples.get(t.name)?.at(-1);
      return `${t.name} ${last === undefined ? '?' : Math.round(last / MIB)}`;
    });
    return `${latest.join(', ')} MiB`;
  }

  /** Stops sampling; one summary per process, with its chart limit when `limits` has one. */
  stop(limits: ReadonlyMap<string, number>): ProcessMemory[] {
    clearInterval(this.#timer);
    this.#sample();
    return this.targets.map((t) => {
      const limit = limits.get(t.name);
      return {
        name: t.name,
        pid: t.pid,
        ...summarizeRss(this.#samples.get(t.name) ?? []),
        ...(limit === undefined ? {} : { limitMiB: limit / MIB }),
      };
    });
  }
}
