import { describe, expect, it } from 'vitest';
import {
  describeHeap,
  describeMemory,
  heapBreakdown,
  memoryQuantityBytes,
  summarizeRss,
  vmRssBytes,
} from '../src/bench/memory.js';

const MIB = 1024 * 1024;

describe('resident memory', () => {
  it('reads VmRSS (kB, i.e. KiB) from /proc/<pid>/status', () => {
    const status = 'Name:\tnode\nVmPeak:\t 1189720 kB\nVmRSS:\t   96164 kB\nRssAnon:\t   51200 kB\n';
    expect(vmRssBytes(status)).toBe(96_164 * 1024);
    expect(() => vmRssBytes('Name:\tkthreadd\n')).toThrow(/VmRSS/);
  });

  it('reads Kubernetes memory quantities', () => {
    expect(memoryQuantityBytes('512Mi')).toBe(512 * MIB);
    expect(memoryQuantityBytes('1Gi')).toBe(1024 * MIB);
    expect(memoryQuantityBytes('256M')).toBe(256e6);
    expect(memoryQuantityBytes('1048576')).toBe(MIB);
    expect(memoryQuantityBytes('1.5Gi')).toBe(1536 * MIB);
    expect(() => memoryQuantityBytes('512 megs')).toThrow(/quantity/);
  });

  it('peak over every sample, plateau the median of the last quarter', () => {
    const samples = [100, 200, 300, 400, 390, 380, 410, 405].map((m) => m * MIB);
    expect(summarizeRss(samples)).toEqual({ samples: 8, firstMiB: 100, peakMiB: 410, plateauMiB: 407.5 });
    expect(summarizeRss([50 * MIB])).toEqual({ samples: 1, firstMiB: 50, peakMiB: 50, plateauMiB: 50 });
    expect(summarizeRss([]).peakMiB).toBeNaN();
  });

  it('says the headroom of the peak under the chart limit', () => {
    const summary = { name: 'create-order', pid: 1, ...summarizeRss([100 * MIB, 128 * MIB]) };
    expect(describeMemory({ ...summary, limitMiB: 512 })).toBe(
      'create-order peak 128 MiB, plateau 128 MiB (last quarter of 2 samples), chart limit 512 MiB: 75 % headroom',
    );
    expect(describeMemory(summary)).toMatch(/, no chart limit$/);
  });
});

describe("a function's heap from its /metrics", () => {
  const metrics = [
    '# HELP process_resident_memory_bytes Resident memory size in bytes.',
    '# TYPE process_resident_memory_bytes gauge',
    `process_resident_memory_bytes{service="create-order"} ${400 * MIB}`,
    `nodejs_heap_size_total_bytes{service="create-order"} ${230 * MIB}`,
    `nodejs_heap_size_used_bytes{service="create-order"} ${116 * MIB}`,
    `nodejs_external_memory_bytes{service="create-order"} ${4 * MIB}`,
    `nodejs_heap_space_size_total_bytes{space="read_only",service="create-order"} 0`,
    `nodejs_heap_space_size_total_bytes{space="new",service="create-order"} ${128 * MIB}`,
    `nodejs_heap_space_size_total_bytes{space="old",service="create-order"} ${92 * MIB}`,
    `nodejs_heap_space_size_used_bytes{space="old",service="create-order"} ${50 * MIB}`,
  ].join('\n');

  it('takes RSS, the heap, its spaces and external memory, labels or not', () => {
    expect(heapBreakdown(metrics)).toEqual({
      rssMiB: 400,
      heapTotalMiB: 230,
      heapUsedMiB: 116,
      spacesMiB: { new: 128, old: 92 },
      externalMiB: 4,
    });
    expect(heapBreakdown(`nodejs_heap_size_total_bytes ${MIB}\n`).heapTotalMiB).toBe(1);
    expect(heapBreakdown('').rssMiB).toBeNaN();
  });

  it('describes where the RSS is', () => {
    expect(describeHeap(heapBreakdown(metrics))).toBe(
      "RSS 400 MiB = V8 heap 230 committed (116 in use; new 128, old 92) + external 4 + 166 else (native: machine code, stacks, malloc, V8's idle pages)",
    );
  });
});
