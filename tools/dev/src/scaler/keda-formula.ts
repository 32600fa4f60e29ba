/**
 * The decision KEDA's Kafka scaler makes, as a pure function so it can be tested and logged:
 * desired = ceil(total lag / lagThreshold), never above the partition count (an extra consumer
 * would sit idle), within [min, max]; from zero only when the lag passes the activation
 * threshold; and a scale-down waits until the cooldown has passed since the lag was last seen.
 */
export interface ScalerPolicy {
  readonly lagThreshold: number;
  readonly activationLagThreshold: number;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly partitions: number;
  readonly cooldownMs: number;
}

export interface ScalerState {
  readonly replicas: number;
  /** When the lag was last above zero (epoch ms). */
  readonly lastActiveAt: number;
}

export interface ScaleDecision {
  readonly replicas: number;
  readonly lastActiveAt: number;
  readonly reason: string;
}

export function decideReplicas(policy: ScalerPolicy, state: ScalerState, lag: number, now: number): ScaleDecision {
  const lastActiveAt = lag > 0 ? now : state.lastActiveAt;
  const ceiling = Math.max(policy.minReplicas, Math.min(policy.maxReplicas, policy.partitions));
  if (state.replicas === 0 && lag <= policy.activationLagThreshold) {
    return {
      replicas: 0,
      lastActiveAt,
      reason: `lag ${lag} ≤ activation threshold ${policy.activationLagThreshold}: stay at 0`,
    };
  }
  const wanted = Math.ceil(lag / policy.lagThreshold);
  const desired = Math.min(ceiling, Math.max(policy.minReplicas, wanted, state.replicas === 0 ? 1 : 0));
  if (desired < state.replicas && now - lastActiveAt < policy.cooldownMs) {
    return { replicas: state.replicas, lastActiveAt, reason: `lag ${lag}: would scale to ${desired}, cooling down` };
  }
  const reason =
    desired === state.replicas
      ? `lag ${lag}: ${desired} replicas are right`
      : `lag ${lag} / threshold ${policy.lagThreshold} → ${wanted}, bounded to [${policy.minReplicas}, ${ceiling}] → ${desired}`;
  return { replicas: desired, lastActiveAt, reason };
}
