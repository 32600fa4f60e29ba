import { describe, expect, it } from 'vitest';
import { decideReplicas, type ScalerPolicy } from '../src/scaler/keda-formula.js';

const policy: ScalerPolicy = {
  lagThreshold: 100,
  activationLagThreshold: 10,
  minReplicas: 0,
  maxReplicas: 4,
  partitions: 3,
  cooldownMs: 30_000,
};

describe('decideReplicas (KEDA Kafka scaler formula)', () => {
  it('asks for ceil(lag / threshold) replicas', () => {
    expect(decideReplicas(policy, { replicas: 1, lastActiveAt: 0 }, 150, 1000).replicas).toBe(2);
    expect(decideReplicas(policy, { replicas: 1, lastActiveAt: 0 }, 200, 1000).replicas).toBe(2);
    expect(decideReplicas(policy, { replicas: 1, lastActiveAt: 0 }, 201, 1000).replicas).toBe(3);
  });

  it('never goes above the partition count or the maximum', () => {
    expect(decideReplicas(policy, { replicas: 1, lastActiveAt: 0 }, 10_000, 1000).replicas).toBe(3); // 3 partitions
    expect(decideReplicas({ ...policy, partitions: 12 }, { replicas: 1, lastActiveAt: 0 }, 10_000, 1000).replicas).toBe(
      4,
    );
  });

  it('wakes from zero only past the activation threshold, then to at least one', () => {
    expect(decideReplicas(policy, { replicas: 0, lastActiveAt: 0 }, 10, 1000).replicas).toBe(0);
    expect(decideReplicas(policy, { replicas: 0, lastActiveAt: 0 }, 11, 1000).replicas).toBe(1);
  });

  it('scales down only after the cooldown since the lag was last seen', () => {
    const busy = decideReplicas(policy, { replicas: 3, lastActiveAt: 0 }, 250, 10_000);
    expect(busy).toMatchObject({ replicas: 3, lastActiveAt: 10_000 });
    expect(decideReplicas(policy, { replicas: 3, lastActiveAt: 10_000 }, 0, 20_000).replicas).toBe(3); // cooling down
    expect(decideReplicas(policy, { replicas: 3, lastActiveAt: 10_000 }, 0, 40_001).replicas).toBe(0); // min 0
    expect(
      decideReplicas({ ...policy, minReplicas: 1 }, { replicas: 3, lastActiveAt: 10_000 }, 0, 40_001).replicas,
    ).toBe(1);
  });
});
