export { type ActiveFlowRules, type CouponBuckets, compileRules, type RulesSource } from './active.js';
export {
  FlowGate,
  type FlowGateOptions,
  type FlowDimension,
  type FlowOutcome,
  type FlowRefusal,
  GLOBAL_BUCKET_KEY,
} from './gate.js';
export { FLOW_RULES_DATA_ID, FlowRules, type FlowRulesOptions, rulesVersion } from './rules.js';
export { EMBEDDED_FLOW_RULES, type FlowRulesDocument, flowRulesSchema, parseFlowRules } from './schema.js';
