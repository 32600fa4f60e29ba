/**
 * `make kube` — a real kube-apiserver + etcd on 127.0.0.1 with the Knative Serving, KEDA,
 * KafkaSource and Seckill CRDs applied; prints the KUBECONFIG to use and stops on Ctrl-C.
 */
import { join } from 'node:path';
import { REPO_ROOT } from '@couponkill/servers';
import { ensureCrds, KAFKA_SOURCE, KEDA, KNATIVE_SERVING, startKubeApiserver } from '../index.js';

const crds = [
  ...ensureCrds(KNATIVE_SERVING),
  ...ensureCrds(KEDA),
  ...ensureCrds(KAFKA_SOURCE),
  join(REPO_ROOT, 'operator/crds/seckill.couponkill.io.yaml'),
];
const kube = await startKubeApiserver({ profile: 'kube', crds, log: (line) => console.log(`  ${line}`) });
console.log(
  `\nkube-apiserver running at ${kube.server} (no controllers run)\n\nexport KUBECONFIG=${kube.kubeconfigPath}\n`,
);
const shutdown = async () => {
  console.log('stopping kube-apiserver and etcd…');
  await kube.stop();
  process.exit(0);
};
process.once('SIGINT', () => void shutdown());
process.once('SIGTERM', () => void shutdown());
