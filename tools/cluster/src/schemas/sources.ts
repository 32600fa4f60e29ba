/**
 * Where the schemas the chart is validated against come from: pinned Go modules that carry the
 * upstream OpenAPI document or CRD manifests (the Go module proxy serves only some versions; these
 * are served). The Kubernetes version matches the kube-apiserver the install test runs.
 */
export interface CrdSource {
  /** Short name used in logs and to pick CRD sets (e.g. for the kube-apiserver). */
  readonly name: string;
  readonly module: string;
  readonly version: string;
  /** Files inside the module, as glob-like patterns relative to its root (`*` within one segment). */
  readonly files: readonly string[];
}

export const KUBERNETES = { module: 'k8s.io/kubernetes', version: 'v1.34.4', swagger: 'api/openapi-spec/swagger.json' };

export const CRD_SOURCES: readonly CrdSource[] = [
  {
    name: 'knative-serving',
    module: 'knative.dev/serving',
    version: 'v0.51.0',
    files: ['config/core/300-resources/*.yaml'],
  },
  {
    name: 'knative-eventing',
    module: 'knative.dev/eventing',
    version: 'v0.50.0',
    files: ['config/core/resources/*.yaml'],
  },
  {
    // The eventing-kafka modules are not served; the operator module ships the same manifests.
    name: 'knative-kafka',
    module: 'knative.dev/operator',
    version: 'v0.50.0',
    files: ['cmd/operator/kodata/eventing-source/1.23/kafka/eventing-kafka-controller.yaml'],
  },
  {
    name: 'keda',
    module: 'github.com/kedacore/keda/v2',
    version: 'v2.21.0',
    files: ['config/crd/bases/keda.sh_*.yaml'],
  },
  {
    name: 'istio',
    module: 'istio.io/api',
    version: 'v1.31.1',
    files: ['kubernetes/customresourcedefinitions.gen.yaml'],
  },
  {
    name: 'prometheus-operator',
    module: 'github.com/prometheus-operator/prometheus-operator',
    version: 'v0.85.0',
    files: ['example/prometheus-operator-crd/monitoring.coreos.com_*.yaml'],
  },
];
