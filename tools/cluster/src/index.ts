export {
  ensureKubeBinaries,
  type KubeApiserver,
  type KubeApiserverOptions,
  kubeToolsBin,
  startKubeApiserver,
} from './apiserver.js';
export {
  type CrdSet,
  ensureCrds,
  ISTIO,
  KAFKA_SOURCE,
  KEDA,
  KNATIVE_EVENTING,
  KNATIVE_KAFKA,
  KNATIVE_SERVING,
  PROMETHEUS_OPERATOR,
} from './crds.js';
