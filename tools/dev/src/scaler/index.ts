export { decideReplicas, type ScaleDecision, type ScalerPolicy, type ScalerState } from './keda-formula.js';
export { LagScaler, type LagScalerOptions } from './lag-scaler.js';
export { MinScaleFile } from './min-scale.js';
