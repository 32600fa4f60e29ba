/**
 * The operator process in a cluster (the Deployment in operator/deploy/ runs it): leader election,
 * the Seckill controller, and /healthz, /readyz, /metrics on PORT.
 */
import { createServer } from 'node:http';
import { KubeConfig } from '@kubernetes/client-node';
import { loadOrExit } from '@couponkill/config';
import { createLogger } from '@couponkill/logging';
import { createMetrics } from '@couponkill/metrics';
import { NacosConfig } from '@couponkill/nacos';
import { connectSaleBackend } from '../backend-deps.js';
import { loadOperatorConfig } from '../config.js';
import { NacosFlowRules } from '../flow-rules.js';
import { StatusOnlyFlowRules } from '../ports.js';
import { startKubeOperator } from './operator.js';

const logger = createLogger({ name: 'operator' });
const config = loadOrExit(() => loadOperatorConfig()).current;
const kubeConfig = new KubeConfig();
kubeConfig.loadFromDefault(); // in a pod: the service account; elsewhere: KUBECONFIG
const sale = await connectSaleBackend(config);
const backend = sale.backend;
const metrics = createMetrics({ service: 'operator' });
const leader = metrics.gauge(
  'couponkill_operator_leader',
  'Whether this replica holds the leader Lease (1) or not (0)',
);
const actions = metrics.counter('couponkill_operator_actions_total', 'Lifecycle actions carried out', ['action']);

// Flow-rule overrides go to Nacos when one is configured; otherwise they are only recorded.
const nacos =
  config.nacos.serverAddr === ''
    ? undefined
    : await NacosConfig.connect({
        serverAddr: config.nacos.serverAddr,
        namespace: config.nacos.namespace,
        group: config.nacos.group,
        ...(config.nacos.username === undefined ? {} : { username: config.nacos.username }),
        ...(config.nacos.password === undefined ? {} : { password: config.nacos.password }),
      });
const flowRules = nacos === undefined ? new StatusOnlyFlowRules() : new NacosFlowRules(nacos, config.flowRulesDataId);

const operator = startKubeOperator({
  flowRules,
  kubeConfig,
  backend,
  logger,
  identity: config.identity,
  watchNamespace: config.watchNamespace,
  leaseNamespace: config.leaseNamespace,
  leaseName: config.leaseName,
  leaseDurationMs: config.leaseDurationMs,
  leaseRetryMs: config.leaseRetryMs,
  refreshMs: config.refreshMs,
  pollMs: config.pollMs,
  onAction: (object, action) => {
    actions.inc({ action: action.kind });
    logger.info({ seckill: `${object.namespace}/${object.name}`, action: action.kind }, `action ${action.kind}`);
  },
});

const server = createServer((req, res) => {
  leader.set(operator.elector.isLeader() ? 1 : 0);
  if (req.url === '/healthz' || req.url === '/readyz') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  } else if (req.url === '/metrics') {
    void metrics
      .render()
      .then(({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body));
  } else {
    res.writeHead(404).end();
  }
});
server.listen(config.port, () => logger.info({ port: config.port, identity: config.identity }, 'operator started'));

const shutdown = async () => {
  logger.info('operator stopping');
  server.close();
  await operator.stop();
  await sale.close();
  nacos?.close();
  process.exit(0);
};
process.once('SIGTERM', () => void shutdown());
process.once('SIGINT', () => void shutdown());
