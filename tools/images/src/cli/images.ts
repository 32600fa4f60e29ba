/**
 * The image commands behind the make targets (`make help`). An image is a function's, or
 * `operator` (the Seckill operator); `--functions`/`--function`/<fn> take either name. Without a registry where one is
 * needed, each fails with one sentence that says what to set.
 *   images.ts build [--canary] [--push] [--functions a,b] [--deps shared|own] [--no-cache]
 *   images.ts push [--canary] [--functions a,b]          REGISTRY=host[:port]
 *   images.ts pull-dependencies                          MIRROR_REGISTRY=host[:port]
 *   images.ts complete                                   REGISTRY=… MIRROR_REGISTRY=…: all of it
 *   images.ts stage --function fn --out DIR              (what the Containerfile runs as cli/stage.ts)
 *   images.ts skaffold <fn>                              skaffold's custom builder (IMAGE, PUSH_IMAGE)
 *   images.ts base-packages                              re-pin images/base-packages.txt
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cacheDir, REPO_ROOT } from '@couponkill/servers';
import { updatePins } from '../base.js';
import { buildImages, mb, rootVersion } from '../build.js';
import { checkRegistry, pullDependencyImages, pushDependencyImages, pushImages, UsageError } from '../push.js';
import { imageTargets, stageImage } from '../stage.js';
import { isLocalRegistry, skopeoCopy } from '../tools.js';

const [command = 'help', ...rest] = process.argv.slice(2);
const { values, positionals } = parseArgs({
  args: rest,
  allowPositionals: true,
  options: {
    canary: { type: 'boolean', default: false },
    push: { type: 'boolean', default: false },
    functions: { type: 'string' },
    function: { type: 'string' },
    out: { type: 'string' },
    tag: { type: 'string' },
    deps: { type: 'string', default: 'shared' },
    'no-cache': { type: 'boolean', default: false },
  },
});
const log = (line: string) => console.log(`  ${line}`);
const tag = values.tag ?? `${rootVersion()}${values.canary ? '-canary' : ''}`;
const fns = values.functions?.split(',');
const target = (base: string) => `${base}${values.canary ? '-canary' : ''}`;

async function main(): Promise<void> {
  switch (command) {
    case 'build': {
      // Fail on a missing registry before spending a build on it.
      const registry = values.push ? checkRegistry(process.env['REGISTRY'], target('build-and-push-all')) : undefined;
      const result = await buildImages({
        tag,
        ...(fns !== undefined ? { functions: fns } : {}),
        deps: values.deps === 'own' ? 'own' : 'shared',
        cache: !values['no-cache'],
        log,
      });
      console.log(
        `${result.images.length} images (${tag}) in ${(result.ms / 1000).toFixed(1)} s → ${result.layout}; ` +
          `largest ${mb(Math.max(...result.images.map((i) => i.size)))} compressed, distinct layers ${mb(result.distinctSize)}`,
      );
      if (registry !== undefined)
        await pushImages({ registry, tag, ...(fns !== undefined ? { functions: fns } : {}), log });
      return;
    }
    case 'push': {
      const registry = checkRegistry(process.env['REGISTRY'], target('push-all-images'));
      const pushed = await pushImages({ registry, tag, ...(fns !== undefined ? { functions: fns } : {}), log });
      console.log(`${pushed.length} images pushed to ${registry}`);
      return;
    }
    case 'pull-dependencies':
      pullDependencyImages(process.env['MIRROR_REGISTRY'], log);
      return;
    case 'complete': {
      // Both registries are checked before anything is pulled or built.
      const registry = checkRegistry(process.env['REGISTRY'], 'build-and-push-all-complete');
      const mirror = process.env['MIRROR_REGISTRY'];
      pullDependencyImages(mirror, log, 'build-and-push-all-complete');
      const result = await buildImages({ tag, cache: !values['no-cache'], log });
      await pushImages({ registry, tag, layout: result.layout, log });
      await pushDependencyImages(registry, log);
      console.log(`${result.images.length} function images and the dependency images pushed to ${registry}`);
      return;
    }
    case 'stage': {
      // The Containerfile runs cli/stage.ts, which needs no other workspace package; the same step.
      const fn = values.function;
      if (fn === undefined || values.out === undefined)
        throw new UsageError('stage needs --function <name> --out <dir>');
      if (!imageTargets(REPO_ROOT).some((t) => t.name === fn)) throw new UsageError(`no image named ${fn}`);
      stageImage(REPO_ROOT, fn, values.out);
      return;
    }
    case 'skaffold': {
      // skaffold's custom builder contract: build the image named $IMAGE (repository:tag chosen
      // by skaffold's tag policy); push it there when $PUSH_IMAGE is true, otherwise keep it in
      // the project's podman storage (and the layout) under that name.
      const fn = positionals[0];
      const image = process.env['IMAGE'];
      if (fn === undefined) throw new UsageError('usage: node scripts/tasks.mjs skaffold-build <function|operator>');
      if (image === undefined || image === '')
        throw new UsageError('IMAGE is not set: skaffold sets it for a custom build');
      const lastSlash = image.lastIndexOf('/');
      const colon = image.lastIndexOf(':');
      const imageTag = colon > lastSlash ? image.slice(colon + 1) : 'latest';
      const result = await buildImages({
        functions: [fn],
        tag: imageTag,
        layout: join(REPO_ROOT, '.run', 'images', 'skaffold'),
        log,
      });
      const built = result.images[0]!;
      const from = `oci:${result.layout}:${fn}`;
      if (process.env['PUSH_IMAGE'] === 'true') {
        const digest = skopeoCopy(from, `docker://${image}`, { destTls: !isLocalRegistry(image.split('/')[0] ?? '') });
        console.log(`pushed ${image}@${digest}`);
      } else {
        skopeoCopy(from, `containers-storage:${image}`);
        console.log(
          `${image}@${built.digest} kept locally (podman storage under .run/podman, layout ${result.layout})`,
        );
      }
      return;
    }
    case 'base-packages':
      for (const p of updatePins(REPO_ROOT, cacheDir('images', 'debs'))) console.log(`  ${p.name}=${p.version}`);
      return;
    default:
      throw new UsageError(`unknown command "${command}"; see the header of tools/images/src/cli/images.ts`);
  }
}

try {
  await main();
} catch (err) {
  if (err instanceof UsageError) {
    console.error(err.message);
    process.exit(2);
  }
  throw err;
}
