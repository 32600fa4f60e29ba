import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { cacheDir } from '@couponkill/servers';
import { schemasFromCrd, schemasFromSwagger, type JsonSchema } from './convert.js';
import { goModuleDir } from './go-modules.js';
import { CRD_SOURCES, KUBERNETES, type CrdSource } from './sources.js';

/** Bump when the conversion changes, so cached schema folders are rebuilt. */
const CONVERTER_VERSION = 5;

export interface SchemaDirs {
  /** Built-in kinds, laid out as `{{.ResourceKind}}{{.KindSuffix}}.json`. */
  readonly builtin: string;
  /** CRD kinds, laid out as `{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json`. */
  readonly crd: string;
  /** The `-schema-location` arguments for kubeconform, in lookup order. */
  readonly locations: readonly string[];
}

/** The CustomResourceDefinition documents of the named sources (all sources by default). */
export function crdDocuments(names?: readonly string[]): JsonSchema[] {
  const chosen = names === undefined ? CRD_SOURCES : CRD_SOURCES.filter((s) => names.includes(s.name));
  const unknown = (names ?? []).filter((n) => !CRD_SOURCES.some((s) => s.name === n));
  if (unknown.length > 0) throw new Error(`unknown CRD source(s): ${unknown.join(', ')}`);
  const docs: JsonSchema[] = [];
  for (const source of chosen) docs.push(...crdsOf(source));
  return docs;
}

/** Every CRD in the YAML files of one source (other kinds in the same files are skipped). */
function crdsOf(source: CrdSource): JsonSchema[] {
  const root = goModuleDir(source.module, source.version);
  const docs: JsonSchema[] = [];
  for (const pattern of source.files) {
    for (const file of matchFiles(root, pattern)) {
      for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
        const value = doc.toJS() as JsonSchema | null;
        if (value?.['kind'] === 'CustomResourceDefinition') docs.push(value);
      }
    }
  }
  if (docs.length === 0)
    throw new Error(`no CRDs found in ${source.module}@${source.version} (${source.files.join(', ')})`);
  return docs;
}

/** Files matching `dir/name*.yaml` (a `*` only in the last segment). */
function matchFiles(root: string, pattern: string): string[] {
  const dir = join(root, dirname(pattern));
  const name = basename(pattern);
  if (!name.includes('*')) return [join(dir, name)];
  const re = new RegExp(`^${name.split('*').map(escapeRegExp).join('[^/]*')}$`);
  return readdirSync(dir)
    .filter((f) => re.test(f))
    .sort()
    .map((f) => join(dir, f));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Builds (once per pinned source set) and returns the offline schema folders kubeconform uses.
 * Extra CRD files (our own, e.g. the Seckill CRD) are converted into a separate folder each call,
 * so they always reflect the working tree.
 */
export async function ensureSchemas(
  options: { extraCrdFiles?: readonly string[]; outDir?: string } = {},
): Promise<SchemaDirs> {
  const key = createHash('sha256')
    .update(JSON.stringify({ CONVERTER_VERSION, KUBERNETES, CRD_SOURCES }))
    .digest('hex')
    .slice(0, 12);
  const root = cacheDir('kube-schemas', key);
  const builtin = join(root, 'builtin');
  const crd = join(root, 'crd');
  if (!existsSync(join(root, 'complete'))) {
    const staging = `${root}.tmp`;
    rmSync(staging, { recursive: true, force: true });
    const k8s = goModuleDir(KUBERNETES.module, KUBERNETES.version);
    const swagger = JSON.parse(readFileSync(join(k8s, KUBERNETES.swagger), 'utf8')) as {
      definitions: Record<string, JsonSchema>;
    };
    writeSchemas(join(staging, 'builtin'), schemasFromSwagger(swagger));
    for (const doc of crdDocuments()) writeSchemas(join(staging, 'crd'), schemasFromCrd(doc));
    writeFileSync(join(staging, 'complete'), new Date().toISOString());
    rmSync(root, { recursive: true, force: true });
    renameSync(staging, root);
    // Folders of older pinned sets or converter versions are no longer read.
    for (const old of readdirSync(dirname(root))) {
      if (old !== key && !old.startsWith(`${key}.`)) rmSync(join(dirname(root), old), { recursive: true, force: true });
    }
  }
  const locations = [
    `${builtin}/{{.ResourceKind}}{{.KindSuffix}}.json`,
    `${crd}/{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json`,
  ];
  if (options.extraCrdFiles !== undefined && options.extraCrdFiles.length > 0) {
    const own = options.outDir;
    if (own === undefined) throw new Error('ensureSchemas: extraCrdFiles need an outDir');
    for (const file of options.extraCrdFiles) {
      for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
        const value = doc.toJS() as JsonSchema | null;
        if (value?.['kind'] === 'CustomResourceDefinition') writeSchemas(own, schemasFromCrd(value));
      }
    }
    locations.push(`${own}/{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json`);
  }
  return { builtin, crd, locations };
}

function writeSchemas(dir: string, schemas: Map<string, JsonSchema>): void {
  for (const [file, schema] of schemas) {
    const path = join(dir, file);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, JSON.stringify(schema));
  }
}
