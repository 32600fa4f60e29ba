/**
 * The daemonless tools around the OCI layout: podman (runc) runs an image, skopeo copies it to
 * and from registries, and Debian's docker-registry serves as the registry on 127.0.0.1 in tests.
 * Every one runs with configuration owned by the project, never the machine's.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  logTail,
  pickPort,
  REPO_ROOT,
  type ServerProcess,
  spawnServer,
  stateDir,
  stopByPidFile,
  waitFor,
} from '@couponkill/servers';
import { MEDIA } from './oci.js';

export interface CommandResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(command: string, args: readonly string[], env?: NodeJS.ProcessEnv, timeoutMs = 300_000): CommandResult {
  const r = spawnSync(command, args, {
    encoding: 'utf8',
    env: env ?? process.env,
    timeout: timeoutMs,
    maxBuffer: 64 << 20,
  });
  return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? r.error?.message ?? '' };
}

function mustRun(command: string, args: readonly string[], env?: NodeJS.ProcessEnv, timeoutMs?: number): string {
  const r = run(command, args, env, timeoutMs);
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${r.status}): ${r.stderr.trim()}`);
  return r.stdout;
}

/**
 * The environment podman runs with: the project's containers.conf, and image storage under
 * `.run/podman` (vfs: no overlay or fuse needed), so nothing outside the clone is touched.
 */
export function podmanEnv(root = REPO_ROOT): NodeJS.ProcessEnv {
  const dir = join(root, '.run', 'podman');
  mkdirSync(dir, { recursive: true });
  const storage = join(dir, 'storage.conf');
  writeFileSync(
    storage,
    `[storage]\ndriver = "vfs"\ngraphroot = "${join(dir, 'storage')}"\nrunroot = "${join(dir, 'run')}"\n`,
  );
  return {
    ...process.env,
    CONTAINERS_CONF: join(root, 'images', 'containers.conf'),
    CONTAINERS_STORAGE_CONF: storage,
    CONTAINERS_REGISTRIES_CONF: join(root, 'images', 'registries.conf'),
  };
}

export interface RunningContainer {
  readonly name: string;
  logs(): string;
  stop(): void;
}

/**
 * `podman run -d` of an image from an OCI layout (`oci:<layout>:<name>`). skopeo first copies it
 * into the project's podman storage under a plain name: podman derives a name from the layout's
 * path itself, which it refuses when a folder starts with a dot (`.run`).
 */
export function runContainer(options: {
  readonly image: string;
  readonly name: string;
  readonly env: Record<string, string>;
}): RunningContainer {
  const env = podmanEnv();
  run('podman', ['rm', '-f', '-t', '0', options.name], env); // a leftover of a killed run
  const local = `localhost/${options.name}:run`;
  mustRun('skopeo', ['copy', '--quiet', options.image, `containers-storage:${local}`], env);
  const args = ['run', '-d', '--name', options.name];
  for (const [k, v] of Object.entries(options.env)) args.push('-e', `${k}=${v}`);
  mustRun('podman', [...args, local], env);
  return {
    name: options.name,
    logs: () => {
      const r = run('podman', ['logs', options.name], env);
      return `${r.stdout}${r.stderr}`;
    },
    stop: () => {
      run('podman', ['stop', '-t', '5', options.name], env);
      run('podman', ['rm', '-f', options.name], env);
      // The copy in podman's storage (vfs: unpacked in full) goes too.
      run('podman', ['rmi', '-f', local], env);
    },
  };
}

/**
 * `podman run` of an image from an OCI layout in the foreground, for a process expected to exit
 * by itself: its exit status and output (stdout and stderr), or status -1 when `timeoutMs` ran out.
 */
export function runContainerToExit(options: {
  readonly image: string;
  readonly name: string;
  readonly env: Record<string, string>;
  readonly timeoutMs: number;
}): CommandResult {
  const env = podmanEnv();
  run('podman', ['rm', '-f', '-t', '0', options.name], env);
  const local = `localhost/${options.name}:run`;
  mustRun('skopeo', ['copy', '--quiet', options.image, `containers-storage:${local}`], env);
  const args = ['run', '--rm', '--name', options.name];
  for (const [k, v] of Object.entries(options.env)) args.push('-e', `${k}=${v}`);
  try {
    return run('podman', [...args, local], env, options.timeoutMs);
  } finally {
    run('podman', ['rm', '-f', '-t', '0', options.name], env);
    run('podman', ['rmi', '-f', local], env);
  }
}

/** A registry address that is this machine (plain HTTP is only accepted there). */
export function isLocalRegistry(registry: string): boolean {
  return /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/.test(registry);
}

/** skopeo copy of one image; returns the digest of the manifest as stored at the destination. */
export function skopeoCopy(
  from: string,
  to: string,
  options: { srcTls?: boolean; destTls?: boolean; preserveDigests?: boolean } = {},
): string {
  const dir = join(REPO_ROOT, '.run', 'images');
  mkdirSync(dir, { recursive: true });
  const digestFile = join(dir, `.digest-${process.pid}`);
  mustRun(
    'skopeo',
    [
      'copy',
      '--quiet',
      // Our images go out byte for byte (the digest we built is the digest served); a pulled
      // multi-platform image is reduced to this platform, which changes its top digest.
      ...(options.preserveDigests === false ? [] : ['--preserve-digests']),
      `--src-tls-verify=${options.srcTls ?? true}`,
      `--dest-tls-verify=${options.destTls ?? true}`,
      '--digestfile',
      digestFile,
      from,
      to,
    ],
    podmanEnv(),
  );
  return readFileSync(digestFile, 'utf8').trim();
}

/** The digest a registry reports for `repo:tag` (the registry HTTP API, no client in between). */
export async function registryDigest(registry: string, repo: string, tag: string): Promise<string | undefined> {
  const scheme = isLocalRegistry(registry) ? 'http' : 'https';
  const res = await fetch(`${scheme}://${registry}/v2/${repo}/manifests/${tag}`, {
    method: 'HEAD',
    headers: { accept: MEDIA.manifest },
  });
  return res.ok ? (res.headers.get('docker-content-digest') ?? undefined) : undefined;
}

export interface LocalRegistry {
  /** host:port */
  readonly address: string;
  readonly process: ServerProcess;
  stop(): Promise<void>;
}

/**
 * Debian's docker-registry on 127.0.0.1 with its own config and filesystem storage under
 * `.run/<profile>/registry` (never the packaged config, which listens on every interface).
 */
export async function startRegistry(profile: string, preferredPort?: number): Promise<LocalRegistry> {
  const dir = stateDir(profile, 'registry');
  const pidFile = join(dir, 'registry.pid');
  await stopByPidFile(pidFile);
  const port = await pickPort(preferredPort);
  const config = join(dir, 'config.yml');
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: warn',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(dir, 'data')}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: 127.0.0.1:${port}`,
      '',
    ].join('\n'),
  );
  const server = spawnServer({
    name: 'registry',
    command: 'docker-registry',
    args: ['serve', config],
    logFile: join(dir, 'registry.log'),
    pidFile,
  });
  await waitFor(
    async () => {
      const res = await fetch(`http://127.0.0.1:${port}/v2/`).catch(() => undefined);
      return res?.status === 200;
    },
    { what: 'registry', timeoutMs: 15_000, server, intervalMs: 100 },
  ).catch((err: unknown) => {
    throw new Error(`${(err as Error).message}\n${logTail(server.logFile)}`);
  });
  return { address: `127.0.0.1:${port}`, process: server, stop: () => server.stop() };
}
