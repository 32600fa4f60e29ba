import { createLogger } from '@couponkill/logging';
import { describe, expect, it } from 'vitest';
import { LagScaler } from '../src/scaler/lag-scaler.js';

describe('LagScaler', () => {
  it('follows the lag up at once and back down after the cooldown, reporting each change', async () => {
    const lags = [50, 450, 800, 0, 0, 0];
    const scaledTo: number[] = [];
    const lines: string[] = [];
    const scaler = new LagScaler({
      policy: {
        lagThreshold: 200,
        activationLagThreshold: 10,
        minReplicas: 1,
        maxReplicas: 4,
        partitions: 12,
        cooldownMs: 30_000,
      },
      lag: async () => lags.shift() ?? 0,
      scaleTo: async (n) => {
        scaledTo.push(n);
      },
      initialReplicas: 1,
      pollingMs: 1000,
      logger: createLogger({ name: 'test', level: 'silent' }),
      onScale: (line) => lines.push(line),
    });
    for (const now of [0, 1000, 2000, 3000, 20_000, 40_000]) await scaler.tick(now);
    expect(scaledTo).toEqual([3, 4, 1]); // 450 → 3, 800 → 4, then 1 once 30 s passed without lag
    expect(scaler.replicas).toBe(1);
    expect(lines[0]).toBe('lag scaler: 1 → 3 order workers (lag 450 / threshold 200 → 3, bounded to [1, 4] → 3)');
  });
});
