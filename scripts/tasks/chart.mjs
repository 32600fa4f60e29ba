// The chart verbs. chart-check: the chart is linted strictly with each values set, rendered into
// .run/chart/rendered-<name>.yaml (for kubeconform or a look), unit-tested with helm-unittest, and
// a broken value must fail with a message that names it. deploy-chart: helm upgrade --install into
// the cluster of the current kubeconfig.
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { ensureKubernetesTools, K8S_BIN } from './go-tools.mjs';
import { nodeBin, projectEnv, ROOT, runSync, say, TaskError, which, WINDOWS, withPath } from './run.mjs';

/**
 * The pinned helm, helm-unittest, … on PATH (built once into the per-user cache with Go), and
 * helm's own state kept under .run/ instead of the home folder. On Windows the tools are taken
 * from PATH (the Go builds and their links are made for Linux and macOS).
 */
function chartEnv(tools, vars) {
  if (WINDOWS) {
    const missing = tools.map((t) => t.replaceAll('_', '-')).filter((t) => which(t) === undefined);
    if (missing.length > 0)
      throw new TaskError(`not on PATH: ${missing.join(', ')}; install them (helm 3.22 or newer) and run this again`);
  } else {
    ensureKubernetesTools(tools);
  }
  const run = join(ROOT, '.run', 'helm');
  return {
    ...withPath(projectEnv(vars), K8S_BIN),
    HELM_CACHE_HOME: join(run, 'cache'),
    HELM_CONFIG_HOME: join(run, 'config'),
    HELM_DATA_HOME: join(run, 'data'),
  };
}

/** Runs a program with its output in `log` (stdout into `out` when given); returns its status. */
function logged(file, args, env, log, out = log) {
  const err = openSync(log, 'w');
  const std = out === log ? err : openSync(out, 'w');
  try {
    return runSync(file, args, { env, stdio: ['ignore', std, err], check: false });
  } finally {
    closeSync(err);
    if (std !== err) closeSync(std);
  }
}

function failWith(log, message) {
  process.stderr.write(readFileSync(log, 'utf8'));
  throw new TaskError(message);
}

export function chartCheck(paths, vars) {
  const env = chartEnv(['helm', 'helm_unittest', 'kubeconform', 'skaffold'], vars);
  const chart = join(ROOT, paths.chart);
  const out = join(ROOT, '.run', 'chart');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  runSync(nodeBin(), [join(ROOT, paths.chartFiles), '--check'], { env });

  const sets = {
    default: [],
    prod: ['-f', join(chart, 'values-prod.yaml')],
    canary: ['-f', join(chart, 'values-canary.yaml')],
    all: ['-f', join(chart, 'ci', 'values-all.yaml')],
  };
  for (const [name, args] of Object.entries(sets)) {
    const lintLog = join(out, `lint-${name}.log`);
    if (logged('helm', ['lint', '--strict', '--quiet', chart, ...args], env, lintLog) !== 0)
      failWith(lintLog, `helm lint --strict failed with the ${name} values`);
    const rendered = join(out, `rendered-${name}.yaml`);
    const fd = openSync(rendered, 'w');
    try {
      runSync('helm', ['template', 'couponkill', chart, '--namespace', 'couponkill', ...args], {
        env,
        stdio: ['ignore', fd, 'inherit'],
      });
    } finally {
      closeSync(fd);
    }
    const objects = readFileSync(rendered, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('kind:')).length;
    console.log(
      `chart: ${name.padEnd(8)} lint ok, ${String(objects).padStart(3)} objects → .run/chart/rendered-${name}.yaml`,
    );
  }

  // Every rendered object, and the platform manifests, against the offline upstream schemas
  // (Kubernetes 1.34, Knative, Kafka source, KEDA, Istio, Prometheus operator, our CRD), strictly.
  const knative = join(ROOT, paths.knative);
  const platform = readdirSync(knative, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) =>
      readdirSync(join(knative, d.name))
        .filter((f) => f.endsWith('.yaml'))
        .map((f) => join(knative, d.name, f)),
    )
    .sort();
  const kubeconformLog = join(out, 'kubeconform.log');
  const validate = [
    '--conditions=source',
    '--import',
    'tsx',
    paths.validateManifests,
    '--crd',
    join(ROOT, paths.crd),
    ...Object.keys(sets).map((name) => join(out, `rendered-${name}.yaml`)),
    ...platform,
    ...paths.platform.map((p) => join(ROOT, p)),
    join(ROOT, paths.exampleSale),
  ];
  if (logged(nodeBin(), validate, env, kubeconformLog) !== 0)
    failWith(kubeconformLog, 'kubeconform: rendered objects do not match their schemas');
  console.log(`chart: kubeconform (strict, offline schemas) ${lastLine(readFileSync(kubeconformLog, 'utf8'))}`);

  const unittestLog = join(out, 'unittest.log');
  if (logged('helm-unittest', ['--color=false', chart], env, unittestLog) !== 0)
    failWith(unittestLog, 'helm-unittest failed');
  for (const line of readFileSync(unittestLog, 'utf8').split('\n'))
    if (/^(Test Suites|Tests):/.test(line)) console.log(`chart: unittest ${line}`);

  // A broken value fails the render with a message naming the key.
  const negativeLog = join(out, 'negative.log');
  if (logged('helm', ['template', 'couponkill', chart, '--set', 'redis.replicas=two'], env, negativeLog) === 0)
    throw new TaskError('a string for redis.replicas was accepted: values.schema.json is not enforced');
  const negative = readFileSync(negativeLog, 'utf8');
  if (!negative.includes("at '/redis/replicas': got string, want integer"))
    failWith(negativeLog, 'a string for redis.replicas failed, but without the expected message');
  const named = negative.split('\n').flatMap((l) => l.match(/at '\/redis\/replicas'.*/) ?? []);
  console.log(`chart: negative check ok: ${named.join('\n')}`);

  // skaffold.yaml renders for every profile (offline, nothing built).
  const skaffoldDir = join(out, 'skaffold');
  mkdirSync(skaffoldDir, { recursive: true });
  const skaffoldEnv = {
    ...env,
    SKAFFOLD_UPDATE_CHECK: 'false',
    SKAFFOLD_CONFIG: join(skaffoldDir, 'config'),
    SKAFFOLD_CACHE_FILE: join(skaffoldDir, 'cache'),
  };
  for (const p of ['dev', 'prod', 'canary', 'docker']) {
    const log = join(out, `skaffold-${p}.log`);
    const render = ['render', '--offline=true', '--digest-source=none', '-p', p];
    if (logged('skaffold', render, skaffoldEnv, log, join(out, `skaffold-${p}.yaml`)) !== 0)
      failWith(log, `skaffold render -p ${p} failed`);
  }
  console.log('chart: skaffold render ok for profiles dev, prod, canary, docker → .run/chart/skaffold-<profile>.yaml');
}

function lastLine(text) {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.at(-1) ?? '';
}

/** helm upgrade --install of the chart; `profile` is default, prod or canary. */
export function deployChart(paths, profile, vars, extra) {
  const env = chartEnv(['helm'], vars);
  const chart = join(ROOT, paths.chart);
  const namespace = vars.NAMESPACE || 'couponkill';
  const release = vars.RELEASE || 'couponkill';
  const values = {
    default: [],
    prod: ['-f', join(chart, 'values-prod.yaml')],
    canary: ['--reuse-values', '-f', join(chart, 'values-canary.yaml')],
  }[profile];
  if (values === undefined) throw new TaskError(`unknown profile ${profile} (default, prod or canary)`);

  // One clear sentence when there is no cluster to talk to.
  mkdirSync(join(ROOT, '.run'), { recursive: true });
  const kubeconfig = vars.KUBECONFIG || join(homedir(), '.kube', 'config');
  if (!kubeconfig.split(delimiter).some((f) => f !== '' && existsSync(f)))
    throw new TaskError(
      'no Kubernetes cluster is configured: set KUBECONFIG (or create ~/.kube/config) and run this again',
    );
  const reachLog = join(ROOT, '.run', 'helm-reach.log');
  const fd = openSync(reachLog, 'w');
  let status;
  try {
    status = runSync('helm', ['list', '--namespace', namespace], {
      env,
      stdio: ['ignore', 'ignore', fd],
      check: false,
    });
  } finally {
    closeSync(fd);
  }
  if (status !== 0) {
    const why = readFileSync(reachLog).subarray(0, 200).toString('utf8').replaceAll('\n', ' ');
    throw new TaskError(`the cluster of ${kubeconfig} does not answer (${why})`);
  }

  say(`helm upgrade --install ${release} (${profile}) into namespace ${namespace}`);
  const args = [
    'upgrade',
    '--install',
    release,
    chart,
    '--namespace',
    namespace,
    '--create-namespace',
    ...values,
    '--wait',
    '--timeout',
    '10m',
    ...extra,
  ];
  return runSync('helm', args, { env, check: false });
}
