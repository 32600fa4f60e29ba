import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { cacheDir } from '../infra/paths.js';

/**
 * The CRDs of the platform pieces the cluster runs (Knative Serving, KEDA, KafkaSource), taken
 * offline from Go module zips at pinned versions (the Go module proxy is the one source that
 * serves them) and kept per user under `<cache>/crds/<set>/`, so later runs need no network.
 */
export interface CrdSet {
  readonly name: string;
  readonly module: string;
  readonly version: string;
  /** Files inside the module, relative to its root; a trailing `*.yaml` pattern lists a folder. */
  readonly files: readonly string[];
  /** Keep only these CRD names (plural.group); all CRDs of the files when absent. */
  readonly only?: readonly string[];
}

export const KNATIVE_SERVING: CrdSet = {
  name: 'knative-serving',
  module: 'knative.dev/serving',
  version: 'v0.51.0',
  files: ['config/core/300-resources/*.yaml'],
};

export const KEDA: CrdSet = {
  name: 'keda',
  module: 'github.com/kedacore/keda/v2',
  version: 'v2.21.0',
  files: ['config/crd/bases/keda.sh_*.yaml'],
};

/** The eventing-kafka modules are not served; the Knative operator ships the same CRDs as data. */
export const KAFKA_SOURCE: CrdSet = {
  name: 'knative-kafka-source',
  module: 'knative.dev/operator',
  version: 'v0.50.0',
  files: ['cmd/operator/kodata/eventing-source/1.23/kafka/eventing-kafka-controller.yaml'],
  only: ['kafkasources.sources.knative.dev'],
};

/** Paths of YAML files, one CRD each, for `set` (extracted once, then read from the cache). */
export function ensureCrds(set: CrdSet): string[] {
  // The revision suffix changes when the extraction does, so an older cache is not reused.
  const dir = join(cacheDir('crds'), `${set.name}-${set.version}-r2`);
  if (!existsSync(dir)) extract(set, dir);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => join(dir, f));
}

function extract(set: CrdSet, dir: string): void {
  const moduleDir = goModuleDir(`${set.module}@${set.version}`);
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

/** Downloads (or finds in the per-user module cache) a Go module and returns its folder. */
function goModuleDir(moduleAtVersion: string): string {
  const cache = cacheDir();
  const result = spawnSync('go', ['mod', 'download', '-json', moduleAtVersion], {
    encoding: 'utf8',
    timeout: 300_000,
    env: {
      ...process.env,
      GOPATH: join(cache, 'go'),
      GOMODCACHE: join(cache, 'go', 'mod'),
      GOFLAGS: '-mod=mod',
      GOTOOLCHAIN: 'local',
    },
  });
  if (result.error !== undefined) {
    throw new Error(`the CRDs come from Go module zips and need Go: ${result.error.message}`);
  }
  const info = JSON.parse(result.stdout || '{}') as { Dir?: string; Error?: string };
  if (result.status !== 0 || info.Dir === undefined) {
    throw new Error(`go mod download ${moduleAtVersion} failed: ${info.Error ?? result.stderr.trim()}`);
  }
  return info.Dir;
}
