import type { KubeEvent, SaleParameters } from './lifecycle.js';
import type { FlowRuleOverrides, FlowRulesStatus, SeckillObject, SeckillStatus } from './types.js';

/**
 * Where Seckill objects live and what the lifecycle writes back: the Kubernetes API in a
 * cluster, a YAML file under `make dev`.
 */
export interface SeckillStore {
  list(): Promise<SeckillObject[]>;
  /** Makes sure deletion waits for our cleanup (a finalizer); no-op where nothing deletes. */
  ensureFinalizer(object: SeckillObject): Promise<void>;
  removeFinalizer(object: SeckillObject): Promise<void>;
  /** Writes the whole status; fails on a conflict (someone wrote in between), to be retried. */
  writeStatus(object: SeckillObject, status: SeckillStatus): Promise<void>;
  event(object: SeckillObject, event: KubeEvent): Promise<void>;
}

/**
 * Raises and lowers the instances behind a sale. `scaleUp` returns the values it found before the
 * sale (merged with `previous`, the ones recorded at the first scale-up), for `scaleDown` to restore.
 */
export interface Scaler {
  scaleUp(
    object: SeckillObject,
    sale: SaleParameters,
    previous: Readonly<Record<string, string>> | undefined,
  ): Promise<Record<string, string>>;
  scaleDown(object: SeckillObject, previous: Readonly<Record<string, string>>): Promise<void>;
}

/**
 * Publishes a sale's per-coupon flow-rule overrides and withdraws them afterwards. The flow-rule
 * schema (`@couponkill/flow`, Nacos `flow-rules.yaml`) plugs in here; without it the overrides
 * are only recorded in the status (see StatusOnlyFlowRules).
 */
export interface FlowRulesPublisher {
  publish(object: SeckillObject, sale: SaleParameters): Promise<FlowRulesStatus>;
  withdraw(object: SeckillObject, couponId: string): Promise<void>;
}

/** The overrides a sale asks for, without absent keys. */
export function flowRuleOverrides(sale: SaleParameters): FlowRuleOverrides {
  return JSON.parse(JSON.stringify(sale.spec.flowRules ?? {})) as FlowRuleOverrides;
}

/** No flow-rule store wired in: the overrides are recorded in the status, not enforced. */
export class StatusOnlyFlowRules implements FlowRulesPublisher {
  async publish(_object: SeckillObject, sale: SaleParameters): Promise<FlowRulesStatus> {
    return {
      published: false,
      target: 'status only (no flow-rule publisher configured)',
      rules: flowRuleOverrides(sale),
    };
  }

  async withdraw(): Promise<void> {}
}
