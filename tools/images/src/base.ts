/**
 * The base layer of every function image, FROM scratch: the pinned Debian packages of
 * images/base-packages.txt (fetched with `apt-get download`, kept in the per-user cache and
 * checked against their sha256), the Node binary of .node-version and a non-root user,
 * composed by images/rootfs.sh.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

export interface PinnedPackage {
  readonly name: string;
  readonly version: string;
  readonly sha256: string;
}

export function readPins(root: string): PinnedPackage[] {
  return readFileSync(join(root, 'images', 'base-packages.txt'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [spec = '', sha256 = ''] = line.split(/\s+/);
      const [name = '', version = ''] = spec.split('=');
      if (name === '' || version === '' || !/^[0-9a-f]{64}$/.test(sha256)) {
        throw new Error(`images/base-packages.txt: cannot read "${line}" (want name=version sha256)`);
      }
      return { name, version, sha256 };
    });
}

function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function aptDownload(specs: readonly string[], into: string): void {
  // As root apt would drop to the _apt user, which cannot write into a private cache folder.
  const result = spawnSync('apt-get', ['download', '-q', '-o', 'APT::Sandbox::User=root', ...specs], {
    cwd: into,
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    throw new Error(
      `apt-get download ${specs.join(' ')} failed: ${result.stderr.trim()}\n` +
        'A pinned version may have left the Debian archive: `make image-base-packages` pins the current ones.',
    );
  }
}

/** Copies the pinned .debs into `into`, downloading each once into `cache` (named by sha256). */
export function ensureDebs(root: string, cache: string, into: string): void {
  const pins = readPins(root);
  const missing = pins.filter((p) => !existsSync(join(cache, `${p.sha256}.deb`)));
  if (missing.length > 0) {
    const tmp = mkdtempSync(join(cache, '.download-'));
    try {
      aptDownload(
        missing.map((p) => `${p.name}=${p.version}`),
        tmp,
      );
      for (const file of readdirSync(tmp)) {
        const sum = sha256File(join(tmp, file));
        const pin = missing.find((p) => p.sha256 === sum);
        if (pin === undefined) throw new Error(`apt-get download gave ${file} with sha256 ${sum}, pinned by nothing`);
        renameSync(join(tmp, file), join(cache, `${sum}.deb`));
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  for (const pin of pins) {
    const from = join(cache, `${pin.sha256}.deb`);
    if (!existsSync(from))
      throw new Error(`${pin.name}=${pin.version}: downloaded file does not match the pinned sha256`);
    copyFileSync(from, join(into, `${pin.name}.deb`));
  }
}

/** Rewrites images/base-packages.txt with the versions apt would install now. */
export function updatePins(root: string, cache: string): PinnedPackage[] {
  const pins = readPins(root);
  const tmp = mkdtempSync(join(cache, '.pins-'));
  try {
    aptDownload(
      pins.map((p) => p.name),
      tmp,
    );
    const fresh = pins.map((pin) => {
      const file = readdirSync(tmp).find((f) => f.startsWith(`${pin.name}_`));
      if (file === undefined) throw new Error(`apt-get download gave no file for ${pin.name}`);
      const version = decodeURIComponent(file.split('_')[1] ?? '');
      return { name: pin.name, version, sha256: sha256File(join(tmp, file)) };
    });
    const path = join(root, 'images', 'base-packages.txt');
    const header = readFileSync(path, 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('#'));
    writeFileSync(path, [...header, ...fresh.map((p) => `${p.name}=${p.version} ${p.sha256}`), ''].join('\n'));
    return fresh;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Runs images/rootfs.sh: the base filesystem in `out`. */
export function composeRootfs(root: string, debs: string, node: string, out: string): void {
  const result = spawnSync('bash', [join(root, 'images', 'rootfs.sh'), debs, node, out], {
    encoding: 'utf8',
    env: { ...process.env, LC_ALL: 'C' },
  });
  if (result.status !== 0) throw new Error(`images/rootfs.sh failed: ${result.stderr.trim()}`);
}
