export { connectSaleBackend } from './backend-deps.js';
export { loadOperatorConfig, type OperatorConfig, operatorConfigSchema } from './config.js';
export { Controller, type ControllerOptions } from './controller.js';
export { type ConfigDocuments, FLOW_RULES_DATA_ID, NacosFlowRules } from './flow-rules.js';
export {
  type Action,
  type Decision,
  decide,
  type KubeEvent,
  type Observations,
  type SaleCounters,
  type SaleParameters,
} from './lifecycle.js';
export { type FlowRulesPublisher, type Scaler, type SeckillStore, StatusOnlyFlowRules } from './ports.js';
export { PermanentError, SaleBackend, SpecRejected } from './sale-backend.js';
export * from './types.js';
export { LeaseElector } from './kube/lease.js';
export { startKubeOperator, type KubeOperator, type KubeOperatorOptions } from './kube/operator.js';
export { INITIAL_SCALE, KubeScaler, MIN_SCALE, SOURCE_MIN_SCALE } from './kube/scaler.js';
export { KubeSeckillStore } from './kube/store.js';
