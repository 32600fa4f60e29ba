/**
 * `npm run validate-manifests -- [--crd FILE]… FILE…` — validates Kubernetes manifests strictly
 * against offline schemas: Kubernetes built-ins, Knative Serving/Eventing/Kafka, KEDA, Istio,
 * Prometheus operator, plus our own CRDs given with --crd. Exits 1 on any invalid object.
 */
import { parseArgs } from 'node:util';
import { validateManifests } from '../schemas/index.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { crd: { type: 'string', multiple: true, default: [] } },
});
if (positionals.length === 0) {
  console.error('usage: validate-manifests [--crd FILE]… FILE…');
  process.exit(2);
}
const result = await validateManifests(positionals, { extraCrdFiles: values.crd });
console.log(result.output);
process.exit(result.ok ? 0 : 1);
