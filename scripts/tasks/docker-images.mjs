// The image verbs with Docker (Docker Desktop on Windows and macOS) and the Containerfile, for
// machines where the daemonless build cannot run (it needs Linux: GNU tar, skopeo, apt). The same
// names and tags as the daemonless build: <IMAGE_REPOSITORY>/<image>:<version>[-canary], pushed
// as <REGISTRY>/<IMAGE_REPOSITORY>/<image>:<tag>; the middleware images of
// images/dependency-images.txt come from MIRROR_REGISTRY. Layer digests differ (README "Images").
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NODE_VERSION, ROOT, TaskError } from './run.mjs';

/** The images: one per folder of functions/ with a package.json, then the operator. */
export function imageNames(root = ROOT) {
  const functions = readdirSync(join(root, 'functions'))
    .filter((name) => existsSync(join(root, 'functions', name, 'package.json')))
    .sort();
  return [...functions, ...(existsSync(join(root, 'operator', 'package.json')) ? ['operator'] : [])];
}

export function dependencyImages(root = ROOT) {
  return readFileSync(join(root, 'images', 'dependency-images.txt'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [name, image] = line.split(/\s+/);
      return { name, image };
    });
}

function registry(value, name, verb) {
  if (value === undefined || value.trim() === '')
    throw new TaskError(
      `${verb} needs a registry: set ${name}=host[:port] (e.g. ${verb} ${name}=127.0.0.1:5000); none is configured here.`,
    );
  if (/^[a-z]+:\/\//i.test(value)) throw new TaskError(`${name} is host[:port], without a scheme: ${value}`);
  return value.trim().replace(/\/+$/, '');
}

/**
 * The docker commands of an image verb, in order (a plan, so it can be read and tested without a
 * daemon). `op` is the images CLI's command: build [--canary] [--push], push --canary,
 * pull-dependencies, complete.
 */
export function dockerPlan(verb, op, vars, root = ROOT) {
  const [command, ...flags] = op;
  const canary = flags.includes('--canary');
  const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
  const tag = `${version}${canary ? '-canary' : ''}`;
  const prefix = vars.IMAGE_REPOSITORY ?? 'couponkill';
  const names = imageNames(root);
  const local = (name) => `${prefix}/${name}:${tag}`;
  const build = () =>
    names.map((name) => [
      'build',
      '-f',
      'Containerfile',
      ...(name === 'operator' ? ['--target', 'operator'] : ['--build-arg', `FUNCTION=${name}`]),
      '--build-arg',
      `NODE_VERSION=${NODE_VERSION}`,
      '--build-arg',
      `VERSION=${version}`,
      '-t',
      local(name),
      '.',
    ]);
  const push = (to) =>
    names.flatMap((name) => [
      ['tag', local(name), `${to}/${local(name)}`],
      ['push', `${to}/${local(name)}`],
    ]);
  const pullDependencies = (mirror) =>
    dependencyImages(root).flatMap(({ image }) => [
      ['pull', `${mirror}/${image}`],
      ['tag', `${mirror}/${image}`, image],
    ]);
  const pushDependencies = (to) =>
    dependencyImages(root).flatMap(({ image }) => [
      ['tag', image, `${to}/${image}`],
      ['push', `${to}/${image}`],
    ]);

  switch (command) {
    case 'build': {
      // A missing registry stops the verb before a build is spent on it.
      const to = flags.includes('--push') ? registry(vars.REGISTRY, 'REGISTRY', verb) : undefined;
      return [...build(), ...(to === undefined ? [] : push(to))];
    }
    case 'push':
      return push(registry(vars.REGISTRY, 'REGISTRY', verb));
    case 'pull-dependencies':
      return pullDependencies(registry(vars.MIRROR_REGISTRY, 'MIRROR_REGISTRY', verb));
    case 'complete': {
      const to = registry(vars.REGISTRY, 'REGISTRY', verb);
      const mirror = registry(vars.MIRROR_REGISTRY, 'MIRROR_REGISTRY', verb);
      return [...pullDependencies(mirror), ...build(), ...push(to), ...pushDependencies(to)];
    }
    default:
      throw new TaskError(`${verb} re-pins Debian packages with apt: run it on Linux (Debian or Ubuntu, or WSL)`);
  }
}
