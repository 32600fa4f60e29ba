/**
 * Pushing built images, and the middleware images the chart runs beside them, to a registry.
 * Each push is checked against the registry's own answer: the digest it serves for the tag must
 * be the digest we built.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '@couponkill/servers';
import { defaultLayout } from './build.js';
import { lookupImage } from './oci.js';
import { imageNames } from './stage.js';
import { isLocalRegistry, registryDigest, skopeoCopy } from './tools.js';

/** Image repositories are `<registry>/<IMAGE_REPOSITORY>/<function>`. */
export function repositoryPrefix(): string {
  return process.env['IMAGE_REPOSITORY'] ?? 'couponkill';
}

/** A registry name as skopeo and the chart want it: host[:port][/path], no scheme. */
export function checkRegistry(value: string | undefined, what: string): string {
  if (value === undefined || value.trim() === '') {
    throw new UsageError(
      `${what} needs a registry: set REGISTRY=host[:port] (e.g. make ${what} REGISTRY=127.0.0.1:5000); none is configured here.`,
    );
  }
  if (/^[a-z]+:\/\//i.test(value)) throw new UsageError(`REGISTRY is host[:port], without a scheme: ${value}`);
  return value.trim().replace(/\/+$/, '');
}

/** An error whose message is all the user needs (printed as one line, no stack). */
export class UsageError extends Error {}

export interface Pushed {
  readonly fn: string;
  readonly reference: string;
  readonly digest: string;
  readonly ms: number;
}

export async function pushImages(options: {
  readonly registry: string;
  readonly tag: string;
  readonly layout?: string;
  readonly functions?: readonly string[];
  readonly log?: (line: string) => void;
}): Promise<Pushed[]> {
  const layout = options.layout ?? defaultLayout(options.tag);
  const fns = options.functions ?? imageNames(REPO_ROOT);
  const missing = fns.filter((fn) => lookupImage(layout, fn) === undefined);
  if (missing.length > 0) {
    throw new UsageError(
      `No ${options.tag} image of ${missing.join(', ')} in ${layout}: build them first (make build-all-images${options.tag.endsWith('-canary') ? '-canary' : ''}).`,
    );
  }
  const local = isLocalRegistry(options.registry.split('/')[0] ?? '');
  const pushed: Pushed[] = [];
  for (const fn of fns) {
    const t0 = Date.now();
    const built = lookupImage(layout, fn)!.digest;
    const repo = `${repositoryPrefix()}/${fn}`;
    const reference = `${options.registry}/${repo}:${options.tag}`;
    const digest = skopeoCopy(`oci:${layout}:${fn}`, `docker://${reference}`, { destTls: !local });
    if (digest !== built) throw new Error(`${reference}: pushed ${digest}, but the built image is ${built}`);
    const [host, ...path] = options.registry.split('/');
    const served = await registryDigest(host ?? options.registry, [...path, repo].join('/'), options.tag);
    if (served !== built) throw new Error(`${reference}: the registry serves ${served ?? 'nothing'}, built ${built}`);
    pushed.push({ fn, reference, digest, ms: Date.now() - t0 });
    options.log?.(`${reference}@${digest} (${Date.now() - t0} ms)`);
  }
  return pushed;
}

export interface DependencyImage {
  readonly name: string;
  readonly image: string;
}

export function dependencyImages(root = REPO_ROOT): DependencyImage[] {
  return readFileSync(join(root, 'images', 'dependency-images.txt'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [name = '', image = ''] = line.split(/\s+/);
      return { name, image };
    });
}

export function dependencyLayout(root = REPO_ROOT): string {
  return join(root, '.run', 'images', 'dependencies');
}

/** Copies the middleware images from a mirror registry into `.run/images/dependencies`. */
export function pullDependencyImages(
  mirror: string | undefined,
  log?: (line: string) => void,
  what = 'pull-dependency-images',
): void {
  if (mirror === undefined || mirror.trim() === '') {
    throw new UsageError(
      `${what} needs a mirror registry that serves the middleware images: set MIRROR_REGISTRY=host[:port]; no registry is reachable from here otherwise.`,
    );
  }
  const layout = dependencyLayout();
  mkdirSync(layout, { recursive: true });
  const local = isLocalRegistry(mirror.split('/')[0] ?? '');
  for (const dep of dependencyImages()) {
    const t0 = Date.now();
    const digest = skopeoCopy(`docker://${mirror}/${dep.image}`, `oci:${layout}:${dep.name}`, {
      srcTls: !local,
      preserveDigests: false,
    });
    log?.(`${dep.name.padEnd(6)} ${mirror}/${dep.image}@${digest} (${Date.now() - t0} ms)`);
  }
}

/** Pushes the pulled middleware images to `registry` under their own repository names. */
export async function pushDependencyImages(registry: string, log?: (line: string) => void): Promise<void> {
  const layout = dependencyLayout();
  const deps = dependencyImages();
  const missing = deps.filter(
    (d) => !existsSync(join(layout, 'index.json')) || lookupImage(layout, d.name) === undefined,
  );
  if (missing.length > 0) {
    throw new UsageError(
      `Dependency images ${missing.map((d) => d.name).join(', ')} are not pulled: run make pull-dependency-images first.`,
    );
  }
  const local = isLocalRegistry(registry.split('/')[0] ?? '');
  for (const dep of deps) {
    const digest = skopeoCopy(`oci:${layout}:${dep.name}`, `docker://${registry}/${dep.image}`, { destTls: !local });
    log?.(`${registry}/${dep.image}@${digest}`);
  }
}
