import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { cacheDir } from '@couponkill/servers';
import { crdDocuments } from './schemas/ensure.js';
import { CRD_SOURCES, type CrdSource } from './schemas/sources.js';

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
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  let count = 0;
  // The same reading of the source's files as the offline schemas use.
  for (const crd of crdDocuments([set.name])) {
    const name = (crd['metadata'] as { name?: string } | undefined)?.name;
    if (name === undefined || (set.only !== undefined && !set.only.includes(name))) continue;
    // A conversion webhook points at the project's controller Service, which no test cluster
    // runs: every request would fail. Storage-version-only conversion is enough there.
    const spec = crd['spec'] as Record<string, unknown> | undefined;
    if (spec?.['conversion'] !== undefined) spec['conversion'] = { strategy: 'None' };
    writeFileSync(join(tmp, `${name}.yaml`), stringify(crd));
    count += 1;
  }
  if (count === 0) throw new Error(`no CRDs named ${set.only?.join(', ') ?? ''} in ${set.module}@${set.version}`);
  renameSync(tmp, dir);
}
