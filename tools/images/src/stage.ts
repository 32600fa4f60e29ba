/**
 * What goes into an image besides the base: the production dependency closure of the
 * function's workspace, as npm resolved it from the lockfile, split into third-party packages
 * (the deps layer) and our own workspace packages (the code layer: package.json, compiled
 * JavaScript and data files such as migrations; no sources, tests, declarations or maps).
 *
 * The Containerfile runs the same code (`images.ts stage`), so both builds stage the same trees.
 */
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';

export interface WorkspaceLink {
  /** e.g. node_modules/@couponkill/auth (a symlink npm made) */
  readonly link: string;
  /** what it points to, as npm wrote it, e.g. ../../shared/auth */
  readonly target: string;
  /** the package folder relative to the repository root, e.g. shared/auth */
  readonly dir: string;
}

export interface Closure {
  /** The image target's name (a function, or `operator`). */
  readonly fn: string;
  /** Folders of third-party packages relative to the repository root, sorted. */
  readonly thirdParty: readonly string[];
  readonly workspaces: readonly WorkspaceLink[];
}

/** Every function: the folders under functions/ with a package.json. */
export function functionNames(root: string): string[] {
  return readdirSync(join(root, 'functions'))
    .filter((name) => existsSync(join(root, 'functions', name, 'package.json')))
    .sort();
}

/**
 * One image of the build: a workspace folder and how its image starts. A function runs under the
 * shared runtime host (FUNCTION_TARGET/FUNCTION_SOURCE); the operator runs its own main module.
 */
export interface ImageTarget {
  /** The image name (`couponkill/<name>`) and its name in the OCI layout. */
  readonly name: string;
  readonly kind: 'function' | 'service';
  /** The workspace folder relative to the repository root, e.g. functions/orders or operator. */
  readonly dir: string;
  /** Exec-form ENTRYPOINT. */
  readonly entrypoint: readonly string[];
  /** Environment besides PATH, NODE_ENV and PORT. */
  readonly env: readonly string[];
}

const NODE_BIN = '/usr/local/bin/node';
/** The functions' host (shared/runtime), which loads FUNCTION_SOURCE and serves FUNCTION_TARGET. */
export const RUNTIME_MAIN = '/app/shared/runtime/dist/src/main.js';
/**
 * Node flags of every function's entry point. A young generation of 8 MB semi-spaces from the
 * start (V8 starts at 1 MB and doubles it after scavenges): loading a function's modules
 * allocates some 30 MB, which took 7 scavenges and then 2, 30–60 ms less CPU from spawn to
 * ready (docs/performance.md). At most 16 MB: V8 sizes the young generation from the memory it
 * sees, and on a large node without a cgroup limit it grew to 128 MB per process, which left
 * create-order 26 % headroom under its 512Mi limit in a whole sale (58 % with the cap, at the
 * same grab throughput). `make bench` starts the host with these flags too.
 */
export const FUNCTION_NODE_FLAGS: readonly string[] = ['--min-semi-space-size=8', '--max-semi-space-size=16'];
/** The operator's process in a cluster (operator/src/kube/main.ts, compiled). */
export const OPERATOR_MAIN = '/app/operator/dist/src/kube/main.js';

/** Every image of the build: one per function, then the operator (when its workspace exists). */
export function imageTargets(root: string): ImageTarget[] {
  const functions = functionNames(root).map((fn): ImageTarget => ({
    name: fn,
    kind: 'function',
    dir: join('functions', fn),
    entrypoint: [NODE_BIN, ...FUNCTION_NODE_FLAGS, RUNTIME_MAIN],
    env: [`FUNCTION_TARGET=${fn}`, 'FUNCTION_SOURCE=dist/src/index.js'],
  }));
  const operator: ImageTarget[] = existsSync(join(root, 'operator', 'package.json'))
    ? [{ name: 'operator', kind: 'service', dir: 'operator', entrypoint: [NODE_BIN, OPERATOR_MAIN], env: [] }]
    : [];
  return [...functions, ...operator];
}

/** The names of every image target (functions, then the operator). */
export function imageNames(root: string): string[] {
  return imageTargets(root).map((t) => t.name);
}

/** The target named `name`, or an error listing the names there are. */
export function imageTarget(root: string, name: string): ImageTarget {
  const targets = imageTargets(root);
  const target = targets.find((t) => t.name === name);
  if (target === undefined) throw new Error(`no image named ${name} (have: ${targets.map((t) => t.name).join(', ')})`);
  return target;
}

/** The production closure of a target's workspace (what `npm ci --omit=dev` would keep for it). */
export function closureOf(root: string, target: ImageTarget | string): Closure {
  const { name: fn, dir } = typeof target === 'string' ? imageTarget(root, target) : target;
  const result = spawnSync(
    'npm',
    ['ls', '--omit=dev', '--all', '--parseable', '--workspace', dir, '--loglevel=error'],
    { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 },
  );
  if (result.status !== 0) {
    throw new Error(`npm ls for ${fn} failed (${result.status}): ${result.stderr.trim() || result.stdout.trim()}`);
  }
  const thirdParty = new Set<string>();
  const workspaces = new Map<string, WorkspaceLink>();
  for (const line of result.stdout.split('\n')) {
    if (line.trim() === '') continue;
    const rel = relative(root, line);
    if (rel === '' || rel.startsWith('..')) continue; // the workspace root itself
    if (lstatSync(line).isSymbolicLink()) {
      const dir = relative(root, realpathSync(line));
      workspaces.set(rel, { link: rel, target: readlinkSync(line), dir });
    } else if (rel.split(sep).includes('node_modules')) {
      thirdParty.add(rel);
    }
  }
  const fnLink = [...workspaces.values()].find((w) => w.dir === dir);
  if (fnLink === undefined) throw new Error(`npm ls did not list ${dir} itself`);
  const sorted = (xs: Iterable<string>) => [...xs].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return {
    fn,
    thirdParty: sorted(thirdParty),
    workspaces: sorted(workspaces.keys()).map((k) => workspaces.get(k)!),
  };
}

/** Copies third-party package folders to `<out>/app/<path>`, each without its nested node_modules
 * (those are listed, and copied, on their own when they belong to the closure). */
export function stageDeps(root: string, packages: readonly string[], out: string): void {
  for (const pkg of packages) {
    const from = join(root, pkg);
    cpSync(from, join(out, 'app', pkg), {
      recursive: true,
      verbatimSymlinks: true,
      filter: (src) => {
        const rel = relative(from, src);
        return rel === '' || !(rel === 'node_modules' || rel.startsWith(`node_modules${sep}`) || rel === '.bin');
      },
    });
  }
}

/** What of a workspace package runs in production. */
function isRuntimeFile(rel: string): boolean {
  const top = rel.split(sep)[0] ?? '';
  if (['src', 'test', 'node_modules', 'coverage'].includes(top)) return false;
  if (top.startsWith('tsconfig') || rel.endsWith('.tsbuildinfo')) return false;
  if (rel === join('dist', 'test') || rel.startsWith(join('dist', 'test') + sep)) return false;
  return !(rel.endsWith('.d.ts') || rel.endsWith('.map'));
}

/** Copies the workspace packages of a closure (compiled) and npm's links to them into `<out>/app`. */
export function stageCode(root: string, closure: Closure, out: string): void {
  for (const ws of closure.workspaces) {
    const from = join(root, ws.dir);
    if (!existsSync(join(from, 'dist', 'src'))) {
      throw new Error(`${ws.dir} is not compiled (no dist/src): run tsc -b for ${closure.fn} first`);
    }
    cpSync(from, join(out, 'app', ws.dir), {
      recursive: true,
      filter: (src) => {
        const rel = relative(from, src);
        return rel === '' || isRuntimeFile(rel);
      },
    });
    const link = join(out, 'app', ws.link);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(ws.target, link);
  }
}

/** The shared deps layer's packages: the third-party union over every function, in byte order. */
export function sharedDeps(closures: readonly Closure[]): string[] {
  return [...new Set(closures.flatMap((c) => c.thirdParty))].sort(byteOrder);
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/**
 * The Containerfile's build stage: the same trees the daemonless build packs into its deps, extra
 * deps (the operator's; empty for a function) and code layers, as folders to COPY.
 */
export function stageImage(root: string, name: string, out: string): void {
  const targets = imageTargets(root);
  const target = imageTarget(root, name);
  const shared = sharedDeps(targets.filter((t) => t.kind === 'function').map((t) => closureOf(root, t)));
  const own = closureOf(root, target);
  const sharedSet = new Set(shared);
  rmSync(out, { recursive: true, force: true });
  stageDeps(root, shared, join(out, 'deps'));
  mkdirSync(join(out, 'deps-extra'), { recursive: true });
  stageDeps(
    root,
    own.thirdParty.filter((p) => !sharedSet.has(p)),
    join(out, 'deps-extra'),
  );
  stageCode(root, own, join(out, 'code'));
}
