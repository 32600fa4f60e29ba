/**
 * A minimal OCI image layout writer (image-spec v1.1): content-addressed blobs, image configs,
 * manifests and an index.json whose entries are named by `org.opencontainers.image.ref.name`,
 * so `podman run oci:<dir>:<name>` and `skopeo copy oci:<dir>:<name> …` address one image.
 *
 * Written here rather than taken from a library: no maintained npm package writes OCI layouts,
 * and the whole format is a few JSON documents and gzip'd tars (the tars come from GNU tar).
 */
import { spawn } from 'node:child_process';
import { createHash, type Hash } from 'node:crypto';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants, createGzip } from 'node:zlib';

export const MEDIA = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly annotations?: Record<string, string>;
}

export interface Layer extends Descriptor {
  /** sha256 of the uncompressed tar (the config's rootfs.diff_ids). */
  readonly diffId: string;
  readonly uncompressedSize: number;
}

export interface TarOptions {
  /** Every entry gets this mtime (seconds since the epoch). */
  readonly mtime: number;
  /**
   * chmod-style modes applied to every entry, so files copied from a checkout do not carry the
   * builder's umask. Not for the base layer, whose modes (e.g. /tmp 1777) are set by rootfs.sh.
   */
  readonly mode?: string;
}

export function ensureLayout(dir: string): void {
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  const marker = join(dir, 'oci-layout');
  if (!existsSync(marker)) writeFileSync(marker, JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const index = join(dir, 'index.json');
  if (!existsSync(index))
    writeFileSync(index, JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.index, manifests: [] }));
}

export function blobPath(dir: string, digest: string): string {
  return join(dir, 'blobs', 'sha256', digest.replace(/^sha256:/, ''));
}

/** Writes a JSON document as a blob; the key order of `value` is the byte order, so it is stable. */
export function writeJsonBlob(dir: string, mediaType: string, value: unknown): Descriptor {
  const bytes = Buffer.from(JSON.stringify(value));
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  writeFileSync(blobPath(dir, digest), bytes);
  return { mediaType, digest, size: bytes.length };
}

function hashing(hash: Hash, counter: { bytes: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      counter.bytes += chunk.length;
      done(null, chunk);
    },
  });
}

/**
 * Packs the contents of `root` (not `root` itself) into a gzip'd layer blob. GNU tar with sorted
 * names, one mtime, root ownership and no extended attributes, then gzip from Node's bundled
 * zlib (no name or time in its header): identical trees give identical digests.
 */
export async function writeLayer(dir: string, root: string, options: TarOptions): Promise<Layer> {
  const args = [
    '--create',
    '--file=-',
    `--directory=${root}`,
    '--format=gnu',
    '--sort=name',
    `--mtime=@${options.mtime}`,
    '--owner=0',
    '--group=0',
    '--numeric-owner',
    '--hard-dereference',
    '--no-acls',
    '--no-xattrs',
    '--no-selinux',
    ...(options.mode !== undefined ? [`--mode=${options.mode}`] : []),
    // "." would prefix every name with "./"; the top-level entries in byte order do not.
    ...topLevel(root),
  ];
  const tar = spawn('tar', args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
  let stderr = '';
  tar.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number>((resolve) => tar.once('close', (code) => resolve(code ?? -1)));
  const raw = { bytes: 0 };
  const packed = { bytes: 0 };
  const rawHash = createHash('sha256');
  const packedHash = createHash('sha256');
  const tmp = join(dir, 'blobs', 'sha256', `.tmp-${process.pid}-${Date.now()}`);
  await pipeline(
    tar.stdout,
    hashing(rawHash, raw),
    createGzip({ level: constants.Z_DEFAULT_COMPRESSION }),
    hashing(packedHash, packed),
    createWriteStream(tmp),
  );
  const code = await exited;
  if (code !== 0) throw new Error(`tar of ${root} failed (${code}): ${stderr.trim()}`);
  const digest = `sha256:${packedHash.digest('hex')}`;
  renameSync(tmp, blobPath(dir, digest));
  return {
    mediaType: MEDIA.layer,
    digest,
    size: packed.bytes,
    diffId: `sha256:${rawHash.digest('hex')}`,
    uncompressedSize: raw.bytes,
  };
}

function topLevel(root: string): string[] {
  // Byte order, like tar --sort=name, whatever the locale.
  const names = readdirSync(root).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  if (names.length === 0) throw new Error(`nothing to pack in ${root}`);
  return ['--', ...names];
}

export interface ImageSpec {
  readonly layers: readonly Layer[];
  /** ISO 8601; fixed (from the commit) so that a rebuild gives the same config. */
  readonly created: string;
  readonly user: string;
  readonly env: readonly string[];
  readonly entrypoint: readonly string[];
  readonly workingDir: string;
  readonly exposedPort: number;
  readonly labels: Record<string, string>;
  /** One line per layer, for `podman history`. */
  readonly history: readonly string[];
}

/** Writes the config and manifest of one image; returns the manifest's descriptor. */
export function writeImage(dir: string, spec: ImageSpec): { manifest: Descriptor; config: Descriptor } {
  const config = writeJsonBlob(dir, MEDIA.config, {
    created: spec.created,
    architecture: 'amd64',
    os: 'linux',
    config: {
      User: spec.user,
      ExposedPorts: { [`${spec.exposedPort}/tcp`]: {} },
      Env: spec.env,
      Entrypoint: spec.entrypoint,
      WorkingDir: spec.workingDir,
      Labels: spec.labels,
    },
    rootfs: { type: 'layers', diff_ids: spec.layers.map((l) => l.diffId) },
    history: spec.history.map((line) => ({ created: spec.created, created_by: line })),
  });
  const manifest = writeJsonBlob(dir, MEDIA.manifest, {
    schemaVersion: 2,
    mediaType: MEDIA.manifest,
    config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
    layers: spec.layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
    annotations: spec.labels,
  });
  return { manifest, config };
}

/** Names `manifest` `ref` in the layout's index.json, replacing an earlier image of that name. */
export function tagImage(dir: string, ref: string, manifest: Descriptor): void {
  const path = join(dir, 'index.json');
  const index = JSON.parse(readFileSync(path, 'utf8')) as { manifests: Descriptor[] };
  const REF = 'org.opencontainers.image.ref.name';
  const others = index.manifests.filter((m) => m.annotations?.[REF] !== ref);
  const manifests = [...others, { ...manifest, annotations: { [REF]: ref } }].sort((a, b) =>
    (a.annotations?.[REF] ?? '').localeCompare(b.annotations?.[REF] ?? ''),
  );
  writeFileSync(path, JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.index, manifests }, null, 2));
}

/** The manifest digest named `ref` in a layout, if any. */
export function lookupImage(dir: string, ref: string): Descriptor | undefined {
  const path = join(dir, 'index.json');
  if (!existsSync(path)) return undefined;
  const index = JSON.parse(readFileSync(path, 'utf8')) as { manifests: Descriptor[] };
  return index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === ref);
}
