/**
 * The daemonless image build: one OCI image per image target (every function, and the operator),
 * written into one OCI layout (`.run/images/<tag>/`, each image under its name), layers shared by
 * all images:
 *
 *   1. base  — glibc, libstdc++, CA bundle, zone data, Node, the non-root user (images/rootfs.sh)
 *   2. deps  — the third-party production packages of every function (one layer for all)
 *   2b. extra deps — the operator only: its third-party packages that no function uses
 *      (@kubernetes/client-node and the rest), so the function images do not carry them
 *   3. code  — the target's own workspace packages, compiled
 *
 * Every layer is a deterministic tar, so the same commit gives the same digests on every build.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, REPO_ROOT } from '@couponkill/servers';
import { composeRootfs, ensureDebs } from './base.js';
import { blobPath, ensureLayout, type Layer, tagImage, writeImage, writeLayer } from './oci.js';
import { closureOf, type Closure, type ImageTarget, imageTargets, sharedDeps, stageCode, stageDeps } from './stage.js';

/** Bumped when the way layers are made changes, so cached layers of an older builder are not reused. */
const BUILDER_VERSION = '2';
/** File times inside every layer: fixed, so layers only change when their content does. */
const LAYER_MTIME = 0;
export const IMAGE_UID = 65532;
export const IMAGE_PORT = 8080;

export type DepsMode = 'shared' | 'own';

export interface BuildOptions {
  /** Image targets to build by name (default: every function and the operator). */
  readonly functions?: readonly string[];
  /** The image tag, also the version label (default: the root package.json version). */
  readonly tag?: string;
  /** The OCI layout to write (default `.run/images/<tag>`). */
  readonly layout?: string;
  /** One deps layer for every function (default), or one per function's own closure. */
  readonly deps?: DepsMode;
  /** Reuse base and deps layers built before with identical inputs (default true). */
  readonly cache?: boolean;
  readonly log?: (line: string) => void;
}

export interface BuiltImage {
  /** The image target's name: a function, or `operator`. */
  readonly fn: string;
  readonly ref: string;
  readonly digest: string;
  readonly layers: readonly Layer[];
  /** Compressed bytes of config and layers: what a pull of this image alone transfers. */
  readonly size: number;
  readonly uncompressedSize: number;
  readonly ms: number;
}

export interface BuildResult {
  readonly layout: string;
  readonly tag: string;
  readonly images: readonly BuiltImage[];
  /** Compressed bytes of the distinct layers of all images (what a registry stores). */
  readonly distinctSize: number;
  readonly ms: number;
}

export function rootVersion(root = REPO_ROOT): string {
  return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
}

export function defaultLayout(tag: string, root = REPO_ROOT): string {
  return join(root, '.run', 'images', tag);
}

function git(root: string, ...args: string[]): string {
  const r = spawnSync('git', args, { cwd: root, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : '';
}

/** org.opencontainers.image.* values shared by every image of a build. */
function provenance(root: string): { revision: string; created: string; source?: string } {
  const head = git(root, 'rev-parse', 'HEAD');
  const dirty = git(root, 'status', '--porcelain', '--untracked-files=no') !== '';
  const revision = head === '' ? 'unknown' : `${head}${dirty ? '-dirty' : ''}`;
  // SOURCE_DATE_EPOCH (reproducible-builds.org) first, then the commit time: never the clock.
  const epoch = Number(process.env['SOURCE_DATE_EPOCH'] ?? (git(root, 'log', '-1', '--format=%ct') || '0'));
  const created = new Date(epoch * 1000).toISOString().replace(/\.000Z$/, 'Z');
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    repository?: string | { url?: string };
  };
  const fromPackage = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url;
  const source = process.env['IMAGE_SOURCE'] ?? fromPackage ?? (git(root, 'remote', 'get-url', 'origin') || undefined);
  return { revision, created, ...(source !== undefined ? { source } : {}) };
}

function sha256(...parts: (string | Buffer)[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex');
}

/**
 * A layer whose inputs hash to `key`: taken from the per-user cache when it was built before,
 * otherwise produced and remembered there (base and deps change rarely; a rebuild takes seconds).
 */
async function cachedLayer(
  layout: string,
  key: string,
  useCache: boolean,
  produce: () => Promise<Layer>,
): Promise<{ layer: Layer; cached: boolean }> {
  const dir = cacheDir('images', 'layers');
  const meta = join(dir, `${key}.json`);
  if (useCache && existsSync(meta)) {
    const layer = JSON.parse(readFileSync(meta, 'utf8')) as Layer;
    const blob = join(dir, `${key}.tar.gz`);
    if (existsSync(blob)) {
      if (!existsSync(blobPath(layout, layer.digest))) copyFileSync(blob, blobPath(layout, layer.digest));
      return { layer, cached: true };
    }
  }
  const layer = await produce();
  copyFileSync(blobPath(layout, layer.digest), join(dir, `${key}.tar.gz`));
  writeFileSync(meta, JSON.stringify(layer));
  return { layer, cached: false };
}

/** Compiles the targets (tsc -b follows the project references to every shared package). */
export function compileTargets(root: string, targets: readonly ImageTarget[]): void {
  const tsc = join(root, 'node_modules', '.bin', 'tsc');
  const r = spawnSync(tsc, ['-b', ...targets.map((t) => t.dir)], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tsc -b failed:\n${r.stdout}${r.stderr}`);
}

export async function buildImages(options: BuildOptions = {}): Promise<BuildResult> {
  const started = Date.now();
  const root = REPO_ROOT;
  const log = options.log ?? (() => {});
  const allTargets = imageTargets(root);
  const all = allTargets.map((t) => t.name);
  const fns = options.functions ?? all;
  for (const fn of fns) if (!all.includes(fn)) throw new Error(`no image named ${fn} (have: ${all.join(', ')})`);
  const targets = fns.map((fn) => allTargets.find((t) => t.name === fn)!);
  const functionTargets = allTargets.filter((t) => t.kind === 'function');
  const tag = options.tag ?? rootVersion(root);
  const layout = options.layout ?? defaultLayout(tag, root);
  const useCache = options.cache ?? true;
  const depsMode = options.deps ?? 'shared';
  const stage = join(root, '.run', 'images', '.stage', `${process.pid}`);
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  ensureLayout(layout);
  try {
    compileTargets(root, targets);
    const prov = provenance(root);

    // Base: pinned .debs + Node + rootfs.sh.
    const debs = join(stage, 'debs');
    mkdirSync(debs);
    ensureDebs(root, cacheDir('images', 'debs'), debs);
    const node = process.execPath;
    const nodeVersion = readFileSync(join(root, '.node-version'), 'utf8').trim();
    if (process.version !== `v${nodeVersion}`) {
      throw new Error(
        `the image Node is this Node: run with Node ${nodeVersion} (.node-version), not ${process.version}`,
      );
    }
    const baseKey = sha256(
      'base',
      BUILDER_VERSION,
      String(LAYER_MTIME),
      readFileSync(join(root, 'images', 'base-packages.txt')),
      readFileSync(join(root, 'images', 'rootfs.sh')),
      readFileSync(node),
    );
    const base = await cachedLayer(layout, baseKey, useCache, async () => {
      composeRootfs(root, debs, node, join(stage, 'rootfs'));
      return writeLayer(layout, join(stage, 'rootfs'), { mtime: LAYER_MTIME });
    });
    log(`base  ${base.layer.digest.slice(7, 19)} ${mb(base.layer.size)}${base.cached ? ' (cached)' : ''}`);

    // Deps: the union over every function (not only those built now), so the layer is the same
    // whichever images a build includes. The operator adds what no function uses on a layer of
    // its own: folding @kubernetes/client-node and the rest into the shared layer would grow every
    // function image by that much (README "Images" has the numbers).
    const closures = new Map<string, Closure>();
    for (const t of depsMode === 'shared' ? [...functionTargets, ...targets] : targets) {
      if (!closures.has(t.name)) closures.set(t.name, closureOf(root, t));
    }
    const lock = readFileSync(join(root, 'package-lock.json'));
    const depsLayer = async (packages: readonly string[], name: string) => {
      const key = sha256('deps', BUILDER_VERSION, String(LAYER_MTIME), lock, packages.join('\n'));
      return cachedLayer(layout, key, useCache, async () => {
        const out = join(stage, `deps-${name}`);
        stageDeps(root, packages, out);
        return writeLayer(layout, out, { mtime: LAYER_MTIME, mode: 'a+rX,u+w,go-w' });
      });
    };
    const sharedList = depsMode === 'shared' ? sharedDeps(functionTargets.map((t) => closures.get(t.name)!)) : [];
    const shared = depsMode === 'shared' ? await depsLayer(sharedList, 'shared') : undefined;
    const sharedSet = new Set(sharedList);
    if (shared !== undefined) {
      log(`deps  ${shared.layer.digest.slice(7, 19)} ${mb(shared.layer.size)}${shared.cached ? ' (cached)' : ''}`);
    }

    const images: BuiltImage[] = [];
    for (const target of targets) {
      const fn = target.name;
      const t0 = Date.now();
      const closure = closures.get(fn)!;
      const deps = shared ?? (await depsLayer(closure.thirdParty, fn));
      // A target beyond the functions' shared layer gets its remaining packages on a layer of its own.
      const rest = shared === undefined ? [] : closure.thirdParty.filter((p) => !sharedSet.has(p));
      const extra = rest.length === 0 ? undefined : await depsLayer(rest, `${fn}-extra`);
      if (extra !== undefined) {
        log(
          `deps+ ${extra.layer.digest.slice(7, 19)} ${mb(extra.layer.size)} (${rest.length} packages only ${fn} uses)${extra.cached ? ' (cached)' : ''}`,
        );
      }
      const out = join(stage, `code-${fn}`);
      stageCode(root, closure, out);
      const code = await writeLayer(layout, out, { mtime: LAYER_MTIME, mode: 'a+rX,u+w,go-w' });
      const layers = [base.layer, deps.layer, ...(extra === undefined ? [] : [extra.layer]), code];
      const pkg = JSON.parse(readFileSync(join(root, target.dir, 'package.json'), 'utf8')) as {
        description?: string;
      };
      const labels: Record<string, string> = {
        'org.opencontainers.image.title': `couponkill-${fn}`,
        'org.opencontainers.image.description': pkg.description ?? fn,
        'org.opencontainers.image.version': tag,
        'org.opencontainers.image.revision': prov.revision,
        'org.opencontainers.image.created': prov.created,
        'org.opencontainers.image.licenses': 'Apache-2.0',
        'org.opencontainers.image.vendor': 'CouponKill',
        ...(prov.source !== undefined ? { 'org.opencontainers.image.source': prov.source } : {}),
      };
      const { manifest, config } = writeImage(layout, {
        layers,
        created: prov.created,
        user: `${IMAGE_UID}:${IMAGE_UID}`,
        env: ['PATH=/usr/local/bin:/usr/bin:/bin', 'NODE_ENV=production', `PORT=${IMAGE_PORT}`, ...target.env],
        entrypoint: [...target.entrypoint],
        workingDir: `/app/${target.dir}`,
        exposedPort: IMAGE_PORT,
        labels,
        history: [
          `base: images/base-packages.txt + Node ${nodeVersion} + user ${IMAGE_UID} (images/rootfs.sh)`,
          `deps: production packages from package-lock.json (${depsMode === 'shared' ? 'every function' : fn})`,
          ...(extra === undefined ? [] : [`deps: production packages only ${fn} uses`]),
          `code: ${target.dir} and its workspace packages, compiled`,
        ],
      });
      tagImage(layout, fn, manifest);
      const size = config.size + layers.reduce((n, l) => n + l.size, 0);
      const uncompressedSize = layers.reduce((n, l) => n + l.uncompressedSize, 0);
      const image = {
        fn,
        ref: `oci:${layout}:${fn}`,
        digest: manifest.digest,
        layers,
        size,
        uncompressedSize,
        ms: Date.now() - t0,
      };
      images.push(image);
      log(
        `${fn.padEnd(13)} ${manifest.digest.slice(0, 19)}  ${mb(size)} compressed (${mb(uncompressedSize)} unpacked), code ${kb(code.size)}, ${image.ms} ms`,
      );
    }
    const distinct = new Map<string, number>();
    for (const image of images) for (const l of image.layers) distinct.set(l.digest, l.size);
    const distinctSize = [...distinct.values()].reduce((a, b) => a + b, 0);
    return { layout, tag, images, distinctSize, ms: Date.now() - started };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

export function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

function kb(bytes: number): string {
  return `${(bytes / 1e3).toFixed(0)} kB`;
}
