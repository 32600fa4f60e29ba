import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@couponkill/logging';
import { describe, expect, it } from 'vitest';
import { LagScaler } from '../src/scaler/lag-scaler.js';
import { MinScaleFile } from '../src/scaler/min-scale.js';

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

describe('LagScaler with a minimum raised from outside (a sale)', () => {
  it('holds the floor while it is set and falls back to the policy once it is removed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ck-min-scale-'));
    const file = new MinScaleFile(join(dir, 'min-scale.json'));
    const scaledTo: number[] = [];
    const scaler = new LagScaler({
      policy: {
        lagThreshold: 200,
        activationLagThreshold: 10,
        minReplicas: 1,
        maxReplicas: 4,
        partitions: 12,
        cooldownMs: 0,
      },
      lag: async () => 0,
      scaleTo: async (n) => {
        scaledTo.push(n);
      },
      initialReplicas: 1,
      pollingMs: 1000,
      logger: createLogger({ name: 'test', level: 'silent' }),
      floor: () => file.get('create-order'),
    });
    await scaler.tick(0);
    file.set('create-order', 3);
    await scaler.tick(1000);
    await scaler.tick(2000);
    file.set('create-order', undefined);
    await scaler.tick(3000);
    expect(scaledTo).toEqual([3, 1]);
    expect(file.read()).toEqual({});
  });
});
