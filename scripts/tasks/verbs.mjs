// The verb table: every `make <verb>`, `npm run <verb>` and `./build.ps1 <verb>` is defined here
// once, with the paths of the programs it runs (PATHS, the only place that names them). The
// Makefile and the scripts of package.json only forward to `node scripts/tasks.mjs <verb>`.
// Variables are make's: `make audit COUPON=…`, `npm run audit -- COUPON=…`, or the
// environment; ARGS (and arguments after the variables) go to the program of the verbs that take
// them.
import { mkdirSync, readdirSync, rmSync, unlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import { bootstrap } from './bootstrap.mjs';
import { chartCheck, deployChart } from './chart.mjs';
import { dockerPlan } from './docker-images.mjs';
import { binOf, exec, LINUX, nodeBin, ROOT, runSync, TaskError, which } from './run.mjs';

export const PATHS = {
  dev: 'tools/dev/src/main.ts',
  servers: 'tools/servers/src/cli/servers.ts',
  kube: 'tools/cluster/src/cli/kube.ts',
  sale: 'tools/dev/src/sale/main.ts',
  createAdmin: 'functions/user-auth/src/cli/create-admin.ts',
  audit: 'functions/audit/src/cli.ts',
  redrive: 'functions/create-order/src/cli.ts',
  flowRules: 'tools/dev/src/cli/flow-rules.ts',
  loadtest: 'tools/bench/src/loadtest/main.ts',
  bench: 'tools/bench/src/bench/main.ts',
  chaos: 'tools/bench/src/chaos/main.ts',
  openapi: 'tools/openapi/src/generate.ts',
  images: 'tools/images/src/cli/images.ts',
  measureServers: 'tools/servers/src/cli/measure-servers.ts',
  validateManifests: 'tools/cluster/src/cli/validate-manifests.ts',
  tsconfigRefs: 'scripts/tsconfig-refs.mjs',
  chartFiles: 'scripts/chart-files.mjs',
  functions: 'scripts/functions.mjs',
  chartReadme: 'scripts/chart-readme.mjs',
  testSummary: 'scripts/test-summary.mjs',
  chart: 'helm/couponkill',
  crd: 'operator/crds/seckill.couponkill.io.yaml',
  exampleSale: 'operator/examples/seckill.yaml',
  knative: 'knative',
  platform: ['istio/namespace.yaml', 'istio/peer-authentication.yaml'],
  docs: ['README.md', 'docs', 'shared', 'functions', 'operator', 'tools', 'helm', 'knative', 'keda', 'istio', 'images'],
};

// Every relative link and #heading in the Markdown files resolves (offline: no URL is fetched).
const DOC_LINKS = [
  '--no-config',
  '--no-stdout',
  '--quiet',
  '--frail',
  '--use',
  'remark-validate-links=repository:false',
];

// The local servers' addresses under make dev, for the admin commands run beside it.
const LOCAL = {
  MYSQL_URL: 'mysql://couponkill:couponkill@127.0.0.1:13306',
  REDIS_URL: 'redis://127.0.0.1:16379',
  KAFKA_BROKERS: '127.0.0.1:19092',
};

/** A TypeScript entry point run from its source, as every dev command is. */
const source = (path, args, ctx) =>
  exec(nodeBin(), ['--conditions=source', '--import', 'tsx', path, ...args], { env: ctx.env });
/** `defaults` for the variables the caller left unset or empty (the shell's ${VAR:-default}). */
const withDefaults = (ctx, defaults) => ({
  ...ctx.env,
  ...Object.fromEntries(Object.entries(defaults).map(([k, v]) => [k, ctx.vars[k] || v])),
});
const flag = (value, name) => (value ? [name] : []);
const tool = (pkg, command, args, ctx) =>
  runSync(nodeBin(), [binOf(pkg, command), ...args], { env: ctx.env, check: false });
const vitest = (project, ctx, extra = []) => tool('vitest', 'vitest', ['run', '--project', project, ...extra], ctx);

/** Runs steps in order and stops at the first that fails, with its status. */
function steps(...fns) {
  for (const fn of fns) {
    const status = fn();
    if (status !== 0) return status;
  }
  return 0;
}

/**
 * The image verbs: the daemonless build (tools/images) on Linux; Docker and the Containerfile
 * on Windows and macOS, or anywhere with IMAGE_BUILDER=docker.
 */
async function images(verb, op, ctx, env = {}) {
  const builder = ctx.vars.IMAGE_BUILDER || (LINUX ? 'daemonless' : 'docker');
  if (builder === 'docker') {
    const plan = dockerPlan(verb, op, ctx.vars);
    if (which('docker') === undefined)
      throw new TaskError(
        `${verb} needs Docker here (Docker Desktop on Windows and macOS): install it and run this again`,
      );
    for (const args of plan) runSync('docker', args, { env: ctx.env });
    return 0;
  }
  if (builder !== 'daemonless') throw new TaskError(`IMAGE_BUILDER is daemonless or docker, not ${builder}`);
  if (!LINUX)
    throw new TaskError(`the daemonless image build needs Linux: use IMAGE_BUILDER=docker on ${process.platform}`);
  return exec(nodeBin(), ['--conditions=source', '--import', 'tsx', PATHS.images, ...op], {
    env: { ...ctx.env, ...env },
  });
}
const registries = (ctx, ...names) => Object.fromEntries(names.map((n) => [n, ctx.vars[n] ?? '']));

function clean() {
  rmSync(join(ROOT, '.run'), { recursive: true, force: true });
  rmSync(join(ROOT, 'reports'), { recursive: true, force: true });
  // Build output of the workspaces: every dist folder and tsbuildinfo outside node_modules.
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory() && entry.name === 'node_modules') continue;
      if (entry.isDirectory() && entry.name === 'dist') rmSync(path, { recursive: true, force: true });
      else if (entry.isDirectory() && entry.name !== '.git') walk(path);
      else if (entry.isFile() && entry.name.endsWith('.tsbuildinfo')) unlinkSync(path);
    }
  };
  walk(ROOT);
  return 0;
}

function lint(ctx) {
  return steps(
    () => runSync(nodeBin(), [PATHS.tsconfigRefs, '--check'], { env: ctx.env, check: false }),
    () => runSync(nodeBin(), [PATHS.chartFiles, '--check'], { env: ctx.env, check: false }),
    () => runSync(nodeBin(), [PATHS.functions, '--check'], { env: ctx.env, check: false }),
    () => runSync(nodeBin(), [PATHS.chartReadme, '--check'], { env: ctx.env, check: false }),
    () => tool('eslint', 'eslint', ['.', '--max-warnings=0'], ctx),
    () => tool('prettier', 'prettier', ['--check', '--log-level=warn', '.'], ctx),
    () => tool('remark-cli', 'remark', [...DOC_LINKS, ...PATHS.docs], ctx),
  );
}
const typecheck = (ctx) => tool('typescript', 'tsc', ['-b'], ctx);

function test(ctx) {
  const reports = join(ROOT, 'reports', 'tests');
  rmSync(reports, { recursive: true, force: true });
  mkdirSync(reports, { recursive: true });
  const failed = steps(
    () => lint(ctx),
    () => typecheck(ctx),
    () => (chartCheck(PATHS, ctx.vars), 0),
  );
  if (failed !== 0) return failed;
  // Every project runs even when one fails; the summary line adds them up.
  const projects = ['unit', 'integration', 'images'];
  let status = 0;
  for (const p of projects) {
    const json = relative(ROOT, join(reports, `${p}.json`));
    if (vitest(p, ctx, ['--reporter=default', '--reporter=json', `--outputFile.json=${json}`]) !== 0) status = 1;
  }
  const summary = runSync(nodeBin(), [PATHS.testSummary, ...projects.map((p) => `reports/tests/${p}.json`)], {
    env: ctx.env,
    check: false,
  });
  return summary !== 0 ? 1 : status;
}

/**
 * name, about (make help), deps (run `deps` first), args (takes ARGS and extra arguments),
 * hidden (not a make/npm verb: an entry point other tools call), windows (runs on Windows: the
 * image and chart verbs, through Docker Desktop and helm; build.ps1 lists these), run(ctx) → exit status.
 * ctx: { vars (variables and environment), args, env (the programs' environment) }.
 */
export const VERBS = [
  { name: 'help', about: 'List the targets', args: true, run: () => 0 },
  {
    name: 'deps',
    about: 'Install what is missing: Node LTS (cache), Debian packages, npm packages',
    run: () => bootstrap().then(() => 0),
  },
  {
    name: 'dev',
    deps: true,
    about: 'Run everything locally on embedded defaults; Ctrl-C stops it all',
    run: (ctx) => source(PATHS.dev, [], ctx),
  },
  {
    name: 'servers',
    deps: true,
    about: 'Only the middleware (Redis, MariaDB, Kafka, Nacos), with the env to reuse them',
    run: (ctx) => source(PATHS.servers, [], ctx),
  },
  {
    name: 'kube',
    deps: true,
    about: 'A real kube-apiserver + etcd with the Knative, KEDA, KafkaSource and Seckill CRDs; prints KUBECONFIG',
    run: (ctx) => source(PATHS.kube, [], ctx),
  },
  {
    name: 'sale',
    deps: true,
    args: true,
    about:
      "Run a sale's lifecycle against a running make dev: make sale FILE=operator/examples/seckill.yaml [ARGS='--start-in 20 --open-for 60']",
    run: (ctx) => source(PATHS.sale, ['--file', ctx.vars.FILE ?? '', ...ctx.args], ctx),
  },
  {
    name: 'admin',
    deps: true,
    about: 'Create an administrator: make admin USERNAME=… PASSWORD=… EMAIL=… [MYSQL_URL=…]',
    run: (ctx) =>
      source(
        PATHS.createAdmin,
        ['--username', ctx.vars.USERNAME ?? '', '--password', ctx.vars.PASSWORD ?? '', '--email', ctx.vars.EMAIL ?? ''],
        { env: withDefaults(ctx, { MYSQL_URL: LOCAL.MYSQL_URL }) },
      ),
  },
  {
    name: 'audit',
    deps: true,
    about:
      "Compare a coupon's sale state with its orders and repair drift: make audit COUPON=<id> [REPAIR=1] [FORCE=1]",
    run: (ctx) =>
      source(
        PATHS.audit,
        ['--coupon', ctx.vars.COUPON ?? '', ...flag(ctx.vars.REPAIR, '--repair'), ...flag(ctx.vars.FORCE, '--force')],
        { env: withDefaults(ctx, LOCAL) },
      ),
  },
  {
    name: 'redrive',
    deps: true,
    about:
      "Replay (default) or compensate a coupon's dead-lettered grabs: make redrive COUPON=<id> [MODE=replay|compensate]",
    run: (ctx) =>
      source(PATHS.redrive, ['--coupon', ctx.vars.COUPON ?? '', '--mode', ctx.vars.MODE || 'replay'], {
        env: withDefaults(ctx, { MYSQL_URL: LOCAL.MYSQL_URL, REDIS_URL: LOCAL.REDIS_URL }),
      }),
  },
  {
    name: 'flow-rules',
    deps: true,
    about:
      "Publish flow rules to the running make dev's Nacos, applied live: make flow-rules [FILE=config/flow-rules.yaml] [UNCHECKED=1]",
    run: (ctx) =>
      source(
        PATHS.flowRules,
        [...(ctx.vars.FILE ? [ctx.vars.FILE] : []), ...flag(ctx.vars.UNCHECKED, '--unchecked')],
        ctx,
      ),
  },
  {
    name: 'loadtest',
    deps: true,
    args: true,
    about: "Flash sale through the running make dev gateway: make loadtest [ARGS='--distribution skewed …']",
    run: (ctx) => source(PATHS.loadtest, ctx.args, ctx),
  },
  {
    name: 'bench',
    deps: true,
    args: true,
    about:
      'Throughput, latency and CPU per request as ratios to baselines measured in the same run, a whole sale and its memory (own servers, pinned, 3 rounds, about 4.5 min)',
    run: (ctx) => source(PATHS.bench, ctx.args, ctx),
  },
  {
    name: 'chaos',
    deps: true,
    args: true,
    about:
      'Sales under a seeded random fault schedule, then the books: make chaos [SEED=…] [SCHEDULES=10] (own servers, ~1 min each)',
    run: (ctx) =>
      source(PATHS.chaos, ['--seed', ctx.vars.SEED ?? '', '--schedules', ctx.vars.SCHEDULES ?? '', ...ctx.args], ctx),
  },
  {
    name: 'openapi',
    about: "Write docs/openapi.json from the routes' zod schemas (a unit test fails when it is stale)",
    run: (ctx) => source(PATHS.openapi, [], ctx),
  },
  {
    name: 'test',
    deps: true,
    about:
      'Every check: lint, type-check, chart checks, unit, integration (real servers, a real kube-apiserver) and image tests',
    run: test,
  },
  {
    name: 'lint',
    about:
      "ESLint, Prettier, project references, the chart's copies of its files, what the function manifests generate, the chart's values table, links in the docs",
    run: lint,
  },
  { name: 'typecheck', about: 'tsc -b over the solution (strict)', run: typecheck },
  { name: 'unit', about: 'Unit tests only (no I/O)', run: (ctx) => vitest('unit', ctx) },
  {
    name: 'integration',
    deps: true,
    about: 'Integration tests only (starts the real servers)',
    run: (ctx) => vitest('integration', ctx),
  },
  {
    name: 'images-test',
    deps: true,
    about: 'Image tests only: build every image, rebuild one, push to a 127.0.0.1 registry, run one',
    run: (ctx) => vitest('images', ctx),
  },
  {
    name: 'format',
    about: 'Rewrite files with Prettier and ESLint fixes',
    run: (ctx) =>
      steps(
        () => tool('prettier', 'prettier', ['--write', '--log-level=warn', '.'], ctx),
        () => tool('eslint', 'eslint', ['.', '--fix'], ctx),
      ),
  },
  {
    name: 'measure-servers',
    deps: true,
    args: true,
    about:
      'Start each local server alone three times; print start time and RSS (COUPONKILL_CACHE=<empty dir>: a cold machine)',
    run: (ctx) => source(PATHS.measureServers, ctx.args, ctx),
  },
  {
    name: 'validate-manifests',
    args: true,
    about:
      "Check Kubernetes manifests against the offline schemas (kubeconform, strict): make validate-manifests ARGS='FILE…'",
    run: (ctx) => source(PATHS.validateManifests, ctx.args, ctx),
  },
  {
    name: 'chart-check',
    about:
      'Helm chart: lint --strict per values set, render to .run/chart/, kubeconform (strict, offline), helm-unittest, schema negative check, skaffold render',
    run: (ctx) => (chartCheck(PATHS, ctx.vars), 0),
  },
  {
    name: 'chart-files',
    about:
      "Copy the files the chart renders from into helm/couponkill/files/ (OpenAPI, Seckill CRD, operator RBAC); write the chart README's values table from values.yaml",
    run: (ctx) =>
      steps(
        () => runSync(nodeBin(), [PATHS.chartFiles], { env: ctx.env, check: false }),
        () => runSync(nodeBin(), [PATHS.chartReadme], { env: ctx.env, check: false }),
      ),
  },
  {
    name: 'generate',
    about:
      "Write what follows from the function folders and manifests (tsconfig.json references, skaffold.yaml, the chart's functions values, schema, files and values table)",
    run: (ctx) =>
      steps(
        () => runSync(nodeBin(), [PATHS.tsconfigRefs], { env: ctx.env, check: false }),
        () => runSync(nodeBin(), [PATHS.functions], { env: ctx.env, check: false }),
        () => runSync(nodeBin(), [PATHS.chartReadme], { env: ctx.env, check: false }),
      ),
  },
  {
    name: 'deploy-chart',
    windows: true,
    args: true,
    about:
      "helm upgrade --install into the current kubeconfig's cluster: make deploy-chart [NAMESPACE=couponkill] [ARGS='--set …']",
    run: (ctx) => deployChart(PATHS, 'default', ctx.vars, ctx.args),
  },
  {
    name: 'deploy-chart-prod',
    windows: true,
    args: true,
    about: 'The same with values-prod.yaml',
    run: (ctx) => deployChart(PATHS, 'prod', ctx.vars, ctx.args),
  },
  {
    name: 'deploy-chart-canary',
    windows: true,
    args: true,
    about:
      "Canary of the running release (values-canary.yaml): make deploy-chart-canary ARGS='--set functions.grab-coupon.image.tag=…'",
    run: (ctx) => deployChart(PATHS, 'canary', ctx.vars, ctx.args),
  },
  { name: 'clean', about: 'Remove build output and local server state (keeps the per-user cache)', run: clean },
  // Images: one per function and one for the operator, daemonless (OCI layout in .run/images/<tag>;
  // see README "Images"). Registries are passed explicitly: REGISTRY=host[:port] to push to,
  // MIRROR_REGISTRY=host[:port] to pull the middleware images from. Without one, a verb that needs
  // it stops with one sentence.
  {
    name: 'build-all-images',
    windows: true,
    deps: true,
    about: 'Build every image, functions and operator (OCI layout .run/images/<version>)',
    run: (ctx) => images('build-all-images', ['build'], ctx),
  },
  {
    name: 'build-and-push-all',
    windows: true,
    deps: true,
    about: 'Build every image (functions, operator) and push it: make build-and-push-all REGISTRY=host:port',
    run: (ctx) => images('build-and-push-all', ['build', '--push'], ctx, registries(ctx, 'REGISTRY')),
  },
  {
    name: 'build-all-images-canary',
    windows: true,
    deps: true,
    about: 'Build every image (functions, operator) tagged <version>-canary',
    run: (ctx) => images('build-all-images-canary', ['build', '--canary'], ctx),
  },
  {
    name: 'push-all-images-canary',
    windows: true,
    deps: true,
    about: 'Push the canary images built before: make push-all-images-canary REGISTRY=host:port',
    run: (ctx) => images('push-all-images-canary', ['push', '--canary'], ctx, registries(ctx, 'REGISTRY')),
  },
  {
    name: 'build-and-push-all-canary',
    windows: true,
    deps: true,
    about: 'Build and push the <version>-canary images: REGISTRY=host:port',
    run: (ctx) =>
      images('build-and-push-all-canary', ['build', '--canary', '--push'], ctx, registries(ctx, 'REGISTRY')),
  },
  {
    name: 'pull-dependency-images',
    windows: true,
    deps: true,
    about: "Copy the chart's middleware images from a mirror: MIRROR_REGISTRY=host:port",
    run: (ctx) => images('pull-dependency-images', ['pull-dependencies'], ctx, registries(ctx, 'MIRROR_REGISTRY')),
  },
  {
    name: 'build-and-push-all-complete',
    windows: true,
    deps: true,
    about: 'Function images and middleware images to one registry: REGISTRY=… MIRROR_REGISTRY=…',
    run: (ctx) =>
      images('build-and-push-all-complete', ['complete'], ctx, registries(ctx, 'REGISTRY', 'MIRROR_REGISTRY')),
  },
  {
    name: 'image-base-packages',
    deps: true,
    about: "Re-pin the Debian packages of the image base to apt's current versions",
    run: (ctx) => images('image-base-packages', ['base-packages'], ctx),
  },
  {
    // skaffold's custom builder for one image (skaffold.yaml `custom.buildCommand`): skaffold sets
    // IMAGE (repository:tag) and PUSH_IMAGE; pushed with skopeo when PUSH_IMAGE is true, otherwise
    // kept in the project's podman storage under that name. Daemonless: no Docker engine is needed.
    name: 'skaffold-build',
    hidden: true,
    deps: true,
    args: true,
    about: 'Build one image for skaffold: skaffold-build <function|operator>',
    run: (ctx) => {
      if (ctx.args.length !== 1)
        throw new TaskError(
          'usage: node scripts/tasks.mjs skaffold-build <image>  (one folder of functions/, or operator)',
        );
      return exec(nodeBin(), ['--conditions=source', '--import', 'tsx', PATHS.images, 'skaffold', ctx.args[0]], {
        env: ctx.env,
      });
    },
  },
];

export const verb = (name) => VERBS.find((v) => v.name === name);
export const publicVerbs = () => VERBS.filter((v) => !v.hidden);

/** `make help`: every verb, or the named ones, or (`--windows`) those build.ps1 offers, with what it does. */
export function help(names = []) {
  const shown =
    names[0] === '--windows'
      ? publicVerbs().filter((v) => v.windows)
      : names.length === 0
        ? publicVerbs()
        : names.map((n) => verb(n) ?? { name: n, about: '(no such verb)' });
  for (const v of shown) console.log(`  \u001b[36m${v.name.padEnd(28)}\u001b[0m ${v.about}`);
}
