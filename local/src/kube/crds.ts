import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { cacheDir } from '../infra/paths.js';
import { goModuleDir } from '../kube-schemas/go-modules.js';
import { CRD_SOURCES, type CrdSource } from '../kube-schemas/sources.js';

/**
 * The CRDs of the platform pieces the cluster runs (Knative Serving, KEDA, KafkaSource), taken
 * offline from Go module zips at pinned versions (the Go module proxy is the one source that
 * serves them) and kept per user under `<cache>/crds/<set>/`, so later runs need no network.
 */
export interface CrdSet extends CrdSource {
  /** Keep only these CRD names (plural.group); all CRDs of the files when absent. */
  readonly only?: readonly string[];
}

function source(name: string, only?: readonly string[]): CrdSet {
  const found = CRD_SOURCES.find((s) => s.name === name);
  if (found === undefined) throw new Error(`no CRD source named ${name}`);
  return only === undefined ? found : { ...found, only };
}

export const KNATIVE_SERVING = source('knative-serving');
export const KNATIVE_EVENTING = source('knative-eventing');
export const KEDA = source('keda');
export const KAFKA_SOURCE = source('knative-kafka', ['kafkasources.sources.knative.dev']);
/** KafkaSource plus KafkaSink, KafkaChannel and the consumer-group kinds. */
export const KNATIVE_KAFKA = source('knative-kafka');
export const ISTIO = source('istio');
export const PROMETHEUS_OPERATOR = source('prometheus-operator');

/** Paths of YAML files, one CRD each, for `set` (extracted once, then read from the cache). */
export function ensureCrds(set: CrdSet): string[] {
  // The revision suffix changes when the extraction does, so an older cache is not reused.
  const subset =
    set.only === undefined ? '' : `-${createHash('sha256').update(set.only.join(',')).digest('hex').slice(0, 8)}`;
  const dir = join(cacheDir('crds'), `${set.name}${subset}-${set.version}-r2`);
  if (!existsSync(dir)) extract(set, dir);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => join(dir, f));
}

function extract(set: CrdSet, dir: string): void {
  const moduleDir = goModuleDir(set.module, set.version);
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  let count = 0;
  for (const file of set.files.flatMap((pattern) => expand(moduleDir, pattern))) {
    for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
      const crd = doc.toJS() as { kind?: string; metadata?: { name?: string }; spec?: Record<string, unknown> } | null;
      const name = crd?.metadata?.name;
      if (crd?.kind !== 'CustomResourceDefinition' || name === undefined) continue;
      if (set.only !== undefined && !set.only.includes(name)) continue;
      // A conversion webhook points at the project's controller Service, which no test cluster
      // runs: every request would fail. Storage-version-only conversion is enough there.
      if (crd.spec?.['conversion'] !== undefined) crd.spec['conversion'] = { strategy: 'None' };
      writeFileSync(join(tmp, `${name}.yaml`), stringify(crd));
      count += 1;
    }
  }
  if (count === 0) throw new Error(`no CRDs found in ${set.module}@${set.version} (${set.files.join(', ')})`);
  renameSync(tmp, dir);
}

/** `dir/a/b/*.yaml` style: only a wildcard in the last segment is needed here. */
function expand(root: string, pattern: string): string[] {
  const slash = pattern.lastIndexOf('/');
  const folder = join(root, pattern.slice(0, slash));
  const last = pattern.slice(slash + 1);
  if (!last.includes('*')) return [join(root, pattern)];
  const [prefix = '', suffix = ''] = last.split('*');
  return readdirSync(folder)
    .filter((f) => f.startsWith(prefix) && f.endsWith(suffix))
    .sort()
    .map((f) => join(folder, f));
}
