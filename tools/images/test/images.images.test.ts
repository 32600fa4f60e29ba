/**
 * The images, end to end and without a Docker engine: every function image and the operator's
 * build, one builds byte for byte the same a second time from nothing, all are pushed to a
 * registry on 127.0.0.1 that then serves the digests we built, grab-coupon runs under podman
 * against a real Redis and answers its readiness probe, and the operator's entry point starts
 * under podman and stops at its configuration check.
 *
 * Its own vitest project (`images`), run after the integration tests: the build keeps both cores
 * busy for a while and must not slow down the timing-sensitive sale tests.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pickPort, REPO_ROOT, removeStateDir, type RunningServer, startRedis, waitFor } from '@couponkill/servers';
import { type BuildResult, buildImages, mb } from '../src/build.js';
import { blobPath } from '../src/oci.js';
import { pushImages } from '../src/push.js';
import { functionNames, imageNames } from '../src/stage.js';
import { type LocalRegistry, runContainer, runContainerToExit, startRegistry } from '../src/tools.js';

/** The stated budget (README "Images"): compressed bytes of one function image, base + deps + code. */
const IMAGE_BUDGET_BYTES = 60e6;
/** The operator's (README "Images"): the same, plus 10 MB for the packages only it uses
 * (@kubernetes/client-node and what it pulls in) on its extra deps layer. */
const OPERATOR_BUDGET_BYTES = 70e6;
const profile = `images-${process.pid}`;
const layout = join(REPO_ROOT, '.run', profile, 'oci');
const log = (line: string) => process.stderr.write(`[images] ${line}\n`);

let built: BuildResult;
let redis: RunningServer<string> | undefined;
let registry: LocalRegistry | undefined;

beforeAll(async () => {
  built = await buildImages({ tag: 'test', layout, log });
  log(
    `built ${built.images.length} images in ${(built.ms / 1000).toFixed(1)} s; distinct layers ${mb(built.distinctSize)}`,
  );
}, 900_000);

afterAll(async () => {
  await registry?.stop();
  await redis?.process?.stop();
  removeStateDir(profile);
});

interface ImageConfig {
  created: string;
  config: {
    User: string;
    Entrypoint: string[];
    Env: string[];
    WorkingDir: string;
    Labels: Record<string, string>;
  };
}

function listTar(file: string): string[] {
  const r = spawnSync('tar', ['-tzf', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return r.stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.replace(/\/$/, ''));
}

/** Every entry under `dir`, like tar lists them: symlinks are entries, not followed. */
function listTree(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const name = `${prefix}${entry.name}`;
    return entry.isDirectory() ? [name, ...listTree(join(dir, entry.name), `${name}/`)] : [name];
  });
}

function configOf(digest: string): ImageConfig {
  const manifest = JSON.parse(readFileSync(blobPath(layout, digest), 'utf8')) as { config: { digest: string } };
  return JSON.parse(readFileSync(blobPath(layout, manifest.config.digest), 'utf8')) as ImageConfig;
}

describe('function images', () => {
  it('one per function, non-root, exec-form entry point, labelled, within the size budget', () => {
    expect(built.images.map((i) => i.fn)).toEqual([...functionNames(REPO_ROOT), 'operator']);
    for (const image of built.images.filter((i) => i.fn !== 'operator')) {
      log(
        `${image.fn.padEnd(13)} ${image.digest.slice(0, 19)} ${mb(image.size)} compressed, ${mb(image.uncompressedSize)} unpacked`,
      );
      expect(image.size).toBeLessThanOrEqual(IMAGE_BUDGET_BYTES);
      const { config, created } = configOf(image.digest);
      expect(config.User).toBe('65532:65532');
      expect(config.Entrypoint).toEqual([
        '/usr/local/bin/node',
        '--min-semi-space-size=8',
        '--max-semi-space-size=16',
        '/app/shared/runtime/dist/src/main.js',
      ]);
      expect(config.Env).toEqual(
        expect.arrayContaining([`FUNCTION_TARGET=${image.fn}`, 'PORT=8080', 'NODE_ENV=production']),
      );
      expect(config.WorkingDir).toBe(`/app/functions/${image.fn}`);
      expect(config.Labels).toMatchObject({
        'org.opencontainers.image.title': `couponkill-${image.fn}`,
        'org.opencontainers.image.version': 'test',
        'org.opencontainers.image.licenses': 'Apache-2.0',
        'org.opencontainers.image.created': created,
      });
      expect(config.Labels['org.opencontainers.image.revision']).toMatch(/^[0-9a-f]{40}(-dirty)?$/);
      // base and deps are the same layers in every image; only the code layer differs
      expect(image.layers).toHaveLength(3);
      expect(image.layers.slice(0, 2)).toEqual(built.images[0]!.layers.slice(0, 2));
    }
  });

  it('the operator: its main module as the exec-form entry point, non-root, no FUNCTION_*, within its budget', () => {
    const image = built.images.find((i) => i.fn === 'operator')!;
    const extra = image.layers[2]!;
    log(
      `operator      ${image.digest.slice(0, 19)} ${mb(image.size)} compressed, ${mb(image.uncompressedSize)} unpacked; ` +
        `extra deps layer ${mb(extra.size)}, code ${mb(image.layers[3]!.size)}`,
    );
    expect(image.size).toBeLessThanOrEqual(OPERATOR_BUDGET_BYTES);
    // base and the functions' shared deps layer, then the operator's own packages, then its code
    expect(image.layers).toHaveLength(4);
    expect(image.layers.slice(0, 2)).toEqual(built.images[0]!.layers.slice(0, 2));
    const { config, created } = configOf(image.digest);
    expect(config.User).toBe('65532:65532');
    expect(config.Entrypoint).toEqual(['/usr/local/bin/node', '/app/operator/dist/src/kube/main.js']);
    expect(config.WorkingDir).toBe('/app/operator');
    expect(config.Env).toEqual(expect.arrayContaining(['PORT=8080', 'NODE_ENV=production']));
    expect(config.Env.filter((e) => e.startsWith('FUNCTION_'))).toEqual([]);
    expect(config.Labels).toMatchObject({
      'org.opencontainers.image.title': 'couponkill-operator',
      'org.opencontainers.image.version': 'test',
      'org.opencontainers.image.licenses': 'Apache-2.0',
      'org.opencontainers.image.vendor': 'CouponKill',
      'org.opencontainers.image.created': created,
    });
    expect(config.Labels['org.opencontainers.image.revision']).toMatch(/^[0-9a-f]{40}(-dirty)?$/);
    const files = listTar(blobPath(layout, image.layers[3]!.digest));
    expect(files).toContain('app/operator/dist/src/kube/main.js');
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    expect(listTar(blobPath(layout, extra.digest))).toContain('app/node_modules/@kubernetes/client-node/package.json');
  });

  it('is reproducible: a second build from nothing (no cached layer) has the same digest', async () => {
    const again = join(REPO_ROOT, '.run', profile, 'oci-again');
    const second = await buildImages({ functions: ['grab-coupon'], tag: 'test', layout: again, cache: false, log });
    const first = built.images.find((i) => i.fn === 'grab-coupon')!;
    log(`grab-coupon rebuilt from nothing in ${(second.ms / 1000).toFixed(1)} s: ${second.images[0]!.digest}`);
    expect(second.images[0]!.digest).toBe(first.digest);
    expect(second.images[0]!.layers).toEqual(first.layers);
    rmSync(again, { recursive: true, force: true });
  }, 600_000);

  it.each(['grab-coupon', 'operator'])(
    "the Containerfile's stage step for %s stages exactly the files of its deps and code layers",
    (name) => {
      const out = join(REPO_ROOT, '.run', profile, `containerfile-stage-${name}`);
      const staged = spawnSync(
        process.execPath,
        ['--import', 'tsx', 'tools/images/src/cli/stage.ts', '--function', name, '--out', out],
        { cwd: REPO_ROOT, encoding: 'utf8' },
      );
      expect(staged.status, staged.stderr).toBe(0);
      const image = built.images.find((i) => i.fn === name)!;
      const inLayers = image.layers.slice(1).flatMap((l) => listTar(blobPath(layout, l.digest)));
      const inStage = ['deps', 'deps-extra', 'code'].flatMap((tree) => listTree(join(out, tree)));
      expect(new Set(inStage)).toEqual(new Set(inLayers));
      log(`Containerfile stage of ${name}: ${new Set(inStage).size} entries, the same as its deps and code layers`);
    },
    60_000,
  );

  it('pushes every image to a registry on 127.0.0.1, which serves the digests we built', async () => {
    registry = await startRegistry(profile);
    const t0 = Date.now();
    const pushed = await pushImages({ registry: registry.address, tag: 'test', layout, log });
    log(`pushed ${pushed.length} images to ${registry.address} in ${Date.now() - t0} ms`);
    expect(pushed.map((p) => p.digest)).toEqual(built.images.map((i) => i.digest));
    const res = await fetch(`http://${registry.address}/v2/_catalog`);
    const catalog = (await res.json()) as { repositories: string[] };
    expect(catalog.repositories).toEqual(
      imageNames(REPO_ROOT)
        .map((name) => `couponkill/${name}`)
        .sort(),
    );
  }, 600_000);

  it('runs grab-coupon under podman, which answers /health/readiness with 200 against a real Redis', async () => {
    redis = await startRedis({ profile });
    const port = await pickPort();
    const t0 = Date.now();
    const container = runContainer({
      image: `oci:${layout}:grab-coupon`,
      name: `couponkill-test-grab-coupon-${process.pid}`,
      env: { HOST: '127.0.0.1', PORT: String(port), REDIS_URL: redis.endpoint },
    });
    try {
      const body = await waitFor(
        async () => {
          const res = await fetch(`http://127.0.0.1:${port}/health/readiness`).catch(() => undefined);
          return res?.status === 200 ? await res.json() : undefined;
        },
        { what: 'grab-coupon readiness in the container', timeoutMs: 90_000, intervalMs: 250 },
      ).catch((err: unknown) => {
        throw new Error(`${(err as Error).message}\ncontainer log:\n${container.logs()}`);
      });
      log(
        `grab-coupon container ready ${Date.now() - t0} ms after the copy into podman's storage began: ${JSON.stringify(body)}`,
      );
      expect(body).toMatchObject({ ready: true, checks: { redis: { ok: true } } });
    } finally {
      container.stop();
    }
  }, 120_000);

  it('runs the operator under podman: its entry point loads every module and stops at its configuration check', () => {
    // PORT=0 is outside the schema (1–65535): the process must get as far as main.js's config
    // load, which runs after every import of the module graph (@kubernetes/client-node included)
    // resolved, and exit 1 with its one-line message before connecting to anything.
    const t0 = Date.now();
    const result = runContainerToExit({
      image: `oci:${layout}:operator`,
      name: `couponkill-test-operator-${process.pid}`,
      env: { PORT: '0' },
      timeoutMs: 90_000,
    });
    const output = `${result.stdout}${result.stderr}`;
    log(`operator container exited ${result.status} after ${Date.now() - t0} ms: ${output.trim()}`);
    expect(output).toContain('Invalid configuration for operator: port:');
    expect(output).toContain('(from env PORT)');
    expect(output).not.toMatch(/ERR_MODULE_NOT_FOUND|Cannot find (module|package)/);
    expect(result.status).toBe(1);
  }, 120_000);
});
