export {
  ensureKubeBinaries,
  type KubeApiserver,
  type KubeApiserverOptions,
  kubeToolsBin,
  startKubeApiserver,
} from './apiserver.js';
export { type CrdSet, ensureCrds, KAFKA_SOURCE, KEDA, KNATIVE_SERVING } from './crds.js';
