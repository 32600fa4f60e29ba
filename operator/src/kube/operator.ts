import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '@couponkill/logging';
import { Controller } from '../controller.js';
import type { Action } from '../lifecycle.js';
import type { FlowRulesPublisher } from '../ports.js';
import { StatusOnlyFlowRules } from '../ports.js';
import type { SaleBackend } from '../sale-backend.js';
import type { SeckillObject } from '../types.js';
import { LeaseElector } from './lease.js';
import { KubeScaler } from './scaler.js';
import { KubeSeckillStore } from './store.js';

export interface KubeOperatorOptions {
  readonly kubeConfig: KubeConfig;
  readonly backend: SaleBackend;
  readonly logger: Logger;
  readonly identity: string;
  readonly watchNamespace?: string;
  readonly leaseNamespace: string;
  readonly leaseName: string;
  readonly leaseDurationMs: number;
  readonly leaseRetryMs: number;
  readonly refreshMs: number;
  readonly pollMs: number;
  readonly flowRules?: FlowRulesPublisher;
  readonly onAction?: (object: SeckillObject, action: Action) => void;
}

export interface KubeOperator {
  readonly elector: LeaseElector;
  readonly controller: Controller;
  /** Resolves when both loops ended (after `stop`). */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

/** The operator in a cluster: the controller runs its passes only while this replica holds the Lease. */
export function startKubeOperator(o: KubeOperatorOptions): KubeOperator {
  const elector = new LeaseElector(o.kubeConfig, {
    namespace: o.leaseNamespace,
    name: o.leaseName,
    identity: o.identity,
    leaseDurationMs: o.leaseDurationMs,
    retryMs: o.leaseRetryMs,
    logger: o.logger,
  });
  const controller = new Controller({
    store: new KubeSeckillStore(o.kubeConfig, {
      ...(o.watchNamespace === undefined || o.watchNamespace === '' ? {} : { namespace: o.watchNamespace }),
    }),
    backend: o.backend,
    scaler: new KubeScaler(o.kubeConfig),
    flowRules: o.flowRules ?? new StatusOnlyFlowRules(),
    logger: o.logger,
    refreshMs: o.refreshMs,
    pollMs: o.pollMs,
    isLeader: () => elector.isLeader(),
    ...(o.onAction === undefined ? {} : { onAction: o.onAction }),
  });
  const electing = elector.run();
  const controlling = controller.run();
  const done = Promise.all([electing, controlling]).then(() => undefined);
  return {
    elector,
    controller,
    done,
    async stop() {
      // The pass under way ends first, then the Lease is given up: no action after the hand-over.
      controller.stop();
      await controlling;
      await elector.stop();
      await done;
    },
  };
}
