#!/usr/bin/env node
// Writes what follows from the function manifests (functions/<name>/function.yaml, see
// docs/adding-a-function.md), so adding a function is a folder and its manifest:
//   skaffold.yaml                            every image to build and its chart value (whole file)
//   helm/couponkill/values.yaml              the `functions:` section (between its marker lines)
//   helm/couponkill/values.schema.json       functions.<name> and the lists of function names
//   helm/couponkill/files/functions.json     needs, extra env, direct path, migrations, OpenAPI,
//                                            gateway facts (read by the templates)
//   helm/couponkill/files/routes.yaml        the public routes (the VirtualService, Nacos gateway-routes.yaml)
// Root tsconfig.json references follow the function's package.json (scripts/tsconfig-refs.mjs).
//   node scripts/functions.mjs [--root DIR]           write them (make generate)
//   node scripts/functions.mjs [--root DIR] --check   exit 1 when one differs (make lint)
// The manifest schema is TypeScript (shared/manifest), which Node runs by stripping the types.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { Document, isMap, stringify } from 'yaml';
import { loadManifests, publicRoutes } from '../shared/manifest/src/index.ts';

const args = process.argv.slice(2);
const rootArg = args.indexOf('--root');
const root = rootArg >= 0 ? resolve(args[rootArg + 1]) : join(dirname(fileURLToPath(import.meta.url)), '..');
const check = args.includes('--check');
const HEADER = 'GENERATED from functions/*/function.yaml by `node scripts/functions.mjs`; do not edit.';
const BEGIN = '# BEGIN functions: generated from functions/*/function.yaml by `make generate`; edit those instead.';
const END = '# END functions';

const manifests = loadManifests(root);
const names = manifests.map((m) => m.name);

/** What a function image depends on (skaffold rebuilds it when one of these changes). */
const imageInputs = ['shared/**', 'package.json', 'package-lock.json', 'tsconfig.base.json', 'Containerfile'];
const imageVar = (name) => `IMAGE_FULLY_QUALIFIED_couponkill_${name.replaceAll('-', '_')}`;

function skaffold() {
  const artifacts = manifests.flatMap((m) => [
    `    - image: couponkill/${m.name}`,
    '      context: .',
    '      custom:',
    '        # Builds the image of one function; pushes it to $IMAGE when $PUSH_IMAGE is true.',
    `        buildCommand: node scripts/tasks.mjs skaffold-build ${m.name}`,
    '        dependencies:',
    '          paths:',
    ...[`functions/${m.name}/**`, ...imageInputs, 'scripts/tasks/**'].map((p) => `            - ${p}`),
  ]);
  const dockerArtifacts = manifests.flatMap((m) => [
    `        - image: couponkill/${m.name}`,
    '          context: .',
    '          docker:',
    '            dockerfile: Containerfile',
    '            buildArgs:',
    `              FUNCTION: ${m.name}`,
  ]);
  const setValues = [...names.map((n) => [`functions.${n}`, n]), ['operator', 'operator']].map(
    ([key, image]) => `          ${key}.image.ref: '{{with .${imageVar(image)}}}{{.}}{{end}}'`,
  );
  return [
    "# skaffold: builds every function image and the operator's, and deploys helm/couponkill with the built references.",
    '#   skaffold dev                      build, deploy, watch; the ingress gateway on http://127.0.0.1:8080',
    '#   skaffold run -p prod              values-prod.yaml',
    '#   skaffold run -p canary            values-canary.yaml on top of the running release',
    '#   skaffold dev -p docker            build with Docker from the Containerfile instead of the script',
    '#   skaffold render --offline=true --digest-source=none -p <profile>   the manifests, no cluster needed',
    `# ${HEADER}`,
    'apiVersion: skaffold/v4beta13',
    'kind: Config',
    'metadata:',
    '  name: couponkill',
    'build:',
    '  tagPolicy:',
    '    gitCommit:',
    '      variant: AbbrevCommitSha',
    '  local:',
    '    push: false',
    '    concurrency: 1',
    '  artifacts:',
    ...artifacts,
    '    - image: couponkill/operator',
    '      context: .',
    '      custom:',
    "        # The Seckill operator's image (entry point operator/src/kube/main.ts, compiled).",
    '        buildCommand: node scripts/tasks.mjs skaffold-build operator',
    '        dependencies:',
    '          paths:',
    ...['operator/**', 'functions/**', 'tools/**', ...imageInputs, 'scripts/tasks/**'].map((p) => `            - ${p}`),
    'deploy:',
    '  helm:',
    '    releases:',
    '      - name: couponkill',
    '        chartPath: helm/couponkill',
    '        namespace: couponkill',
    '        createNamespace: true',
    '        wait: true',
    '        setValueTemplates:',
    ...setValues,
    'portForward:',
    '  # The public API through the Istio ingress gateway, as the cluster serves it.',
    '  - resourceType: service',
    '    resourceName: istio-ingressgateway',
    '    namespace: istio-system',
    '    port: 80',
    '    localPort: 8080',
    'profiles:',
    '  - name: dev',
    '    activation:',
    '      - command: dev',
    '    patches:',
    '      - op: add',
    '        path: /deploy/helm/releases/0/setValues',
    '        value:',
    '          image.pullPolicy: IfNotPresent',
    '          functions.grab-coupon.autoscaling.minScale: 1',
    '          functions.grab-coupon.autoscaling.initialScale: 1',
    '          redis.persistence.enabled: false',
    '          mysql.persistence.enabled: false',
    '          kafka.persistence.enabled: false',
    '  - name: prod',
    '    patches:',
    '      - op: add',
    '        path: /deploy/helm/releases/0/valuesFiles',
    '        value: [helm/couponkill/values-prod.yaml]',
    '  - name: canary',
    '    patches:',
    '      - op: add',
    '        path: /deploy/helm/releases/0/valuesFiles',
    '        value: [helm/couponkill/values-canary.yaml]',
    '  - name: docker',
    '    build:',
    '      tagPolicy:',
    '        gitCommit:',
    '          variant: AbbrevCommitSha',
    '      local:',
    '        useBuildkit: true',
    '        concurrency: 1',
    '      artifacts:',
    ...dockerArtifacts,
    '        - image: couponkill/operator',
    '          context: .',
    '          docker:',
    '            dockerfile: Containerfile',
    '            target: operator',
    '',
  ].join('\n');
}

/** The chart's defaults of one function, in the order values.yaml has always listed them. */
function functionValues(m) {
  const { replicas, keda, ...scaling } = m.scaling;
  return {
    enabled: true,
    workload: m.workload,
    ...(replicas === undefined ? {} : { replicas }),
    image: {},
    ...scaling,
    env: {},
    ...(keda === undefined ? {} : { keda }),
  };
}

const PARAMS = {
  enabled: (m) => `Deploy ${m.name}: ${m.description.charAt(0).toLowerCase()}${m.description.slice(1)}`,
  workload: () => 'ksvc (Knative Service) or deployment (Deployment + Service)',
  replicas: () => 'Replicas (workload deployment)',
  image: () => 'Own image: ref (full reference, wins), repository, tag, digest',
  containerConcurrency: () => 'Requests one pod serves at once (0: unlimited)',
  'autoscaling.metric': () => 'Knative autoscaling metric (concurrency or rps)',
  'autoscaling.target': () => 'Knative autoscaling target per pod',
  'autoscaling.targetUtilization': () => 'Percentage of the target at which Knative scales up',
  'autoscaling.minScale': (m) =>
    m.directPath ? 'Fewest pods (at least 1: the activator stays out of its request path)' : 'Fewest pods',
  'autoscaling.maxScale': () => 'Most pods',
  'autoscaling.initialScale': () => 'Pods of a new revision',
  'autoscaling.scaleDownDelay': () => 'How long a pod is kept after load drops',
  timeoutSeconds: () => 'Longest request (seconds)',
  env: () => 'Extra environment variables (name: value)',
  'resources.requests.cpu': () => 'CPU request',
  'resources.requests.memory': () => 'Memory request',
  'resources.limits.cpu': () => 'CPU limit',
  'resources.limits.memory': () => 'Memory limit',
  'keda.minReplicas': () => 'KEDA (workload deployment): fewest replicas',
  'keda.maxReplicas': () => 'KEDA: most replicas',
  'keda.lagThreshold': () => 'KEDA: consumer lag per replica',
  'keda.activationLagThreshold': () => 'KEDA: lag that wakes it from zero',
  'keda.pollingInterval': () => 'KEDA: seconds between lag checks',
  'keda.cooldownPeriod': () => 'KEDA: seconds before scaling to the minimum',
  'keda.offsetResetPolicy': () => 'KEDA: where a new consumer group starts (earliest or latest)',
};

function paramLines(m, values, prefix = '') {
  return Object.entries(values).flatMap(([key, value]) => {
    const path = `${prefix}${key}`;
    const describe = PARAMS[path];
    if (describe === undefined && typeof value === 'object' && Object.keys(value).length > 0)
      return paramLines(m, value, `${path}.`);
    const text = describe?.(m) ?? path;
    return [`  ## @param functions.${m.name}.${path} ${text}`];
  });
}

/** The `functions:` section of values.yaml, with @param lines (bitnami readme-generator format). */
function valuesSection() {
  const lines = [
    BEGIN,
    '## @section Functions',
    '## @descriptionStart',
    '## One entry per function (functions/<name>/function.yaml). `workload`: ksvc (Knative Service) or',
    '## deployment (plain Deployment + Service; create-order then gets a KEDA ScaledObject on consumer',
    '## lag). Autoscaling numbers are chosen from the benchmark figures (docs/performance.md); the',
    "## reasons for each function's numbers are beside them in its manifest.",
    '## @descriptionEnd',
    'functions:',
  ];
  for (const m of manifests) {
    const values = functionValues(m);
    lines.push(...paramLines(m, values), `  ${m.name}:`);
    const doc = new Document(values);
    // Requests and limits on one line each, as values.yaml has always had them.
    for (const key of ['requests', 'limits']) {
      const node = doc.getIn(['resources', key], true);
      if (isMap(node)) node.flow = true;
    }
    lines.push(
      ...doc
        .toString()
        .trimEnd()
        .split('\n')
        .map((l) => `    ${l}`),
    );
  }
  lines.push(END);
  return lines.join('\n');
}

function replaceValuesSection(current) {
  const start = current.indexOf(BEGIN);
  const end = current.indexOf(END);
  if (start < 0 || end < start)
    throw new Error(`helm/couponkill/values.yaml: the marker lines ${BEGIN} … ${END} are missing`);
  return current.slice(0, start) + valuesSection() + current.slice(end + END.length);
}

/** One function's values, as values.schema.json checks them (the same shape for every function). */
const FUNCTION_SCHEMA = JSON.parse(readFileSync(new URL('./function-values.schema.json', import.meta.url), 'utf8'));

function replaceSchema(current) {
  let text = current;
  text = spliceJson(
    text,
    ['properties', 'functions', 'properties'],
    Object.fromEntries(names.map((n) => [n, FUNCTION_SCHEMA])),
  );
  text = spliceJson(
    text,
    ['properties', 'istio', 'properties', 'faultInjection', 'properties', 'functions', 'items', 'enum'],
    names,
  );
  text = spliceJson(text, ['properties', 'canary', 'properties', 'functions', 'propertyNames', 'enum'], names);
  return text;
}

/**
 * Replaces the value at `path` in JSON text and leaves every other byte alone (the rest of the
 * schema is not generated here, and prettier keeps a JSON object on one line only if it was).
 */
function spliceJson(text, path, value) {
  let i = 0;
  const ws = () => {
    while (/\s/.test(text[i] ?? '')) i++;
  };
  const string = () => {
    const start = i++;
    while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i));
  };
  // Skips one value; returns the span of the value at `rest` inside it, if any.
  const skip = (rest) => {
    ws();
    const start = i;
    if (rest.length === 0) {
      skip([1]);
      return [start, i];
    }
    let found;
    if (text[i] === '{') {
      i++;
      ws();
      while (text[i] !== '}') {
        const key = string();
        ws();
        i++; // :
        const span = skip(key === rest[0] ? rest.slice(1) : [1]);
        if (key === rest[0]) found = span;
        ws();
        if (text[i] === ',') i++;
        ws();
      }
      i++;
    } else if (text[i] === '[') {
      i++;
      ws();
      while (text[i] !== ']') {
        skip([1]);
        ws();
        if (text[i] === ',') i++;
        ws();
      }
      i++;
    } else if (text[i] === '"') string();
    else while (!/[\s,\]}]/.test(text[i] ?? ',')) i++;
    return found;
  };
  const span = skip(path);
  if (span === undefined) throw new Error(`values.schema.json has no ${path.join('.')}`);
  return text.slice(0, span[0]) + JSON.stringify(value, null, 2) + text.slice(span[1]);
}

/** Per-function facts the templates read instead of branching on a function's name. */
function chartFacts() {
  const facts = manifests.map((m) => ({
    name: m.name,
    needs: m.needs,
    env: m.env.map(({ dev: _dev, ...e }) => e),
    directPath: m.directPath,
    migrate: m.migrate,
    openapi: m.openapi,
    gateway: m.gateway,
  }));
  return JSON.stringify({ $comment: HEADER, functions: facts }, null, 2);
}

function routesFile() {
  return [
    `# ${HEADER}`,
    "# The public HTTP surface: which function serves which path (each manifest's `routes`). The local",
    '# gateway of `make dev` routes by the same table, and the Istio VirtualService is generated from it.',
    '# First match wins; `exact` matches one path, `prefix` a path and everything below it, `regex` a',
    '# whole path. Order: exact paths, regexes, then prefixes longest first. Job entry points (/jobs/…)',
    '# and the order worker are deliberately not here.',
    stringify({ routes: publicRoutes(manifests) }),
  ].join('\n');
}

const read = (file) => {
  try {
    return readFileSync(join(root, file), 'utf8');
  } catch {
    return '';
  }
};
const outputs = [
  ['skaffold.yaml', skaffold],
  ['helm/couponkill/values.yaml', () => replaceValuesSection(read('helm/couponkill/values.yaml'))],
  ['helm/couponkill/values.schema.json', () => replaceSchema(read('helm/couponkill/values.schema.json'))],
  ['helm/couponkill/files/functions.json', chartFacts],
  ['helm/couponkill/files/routes.yaml', routesFile],
];

let drifted = false;
for (const [file, make] of outputs) {
  const path = join(root, file);
  // Formatted as `make lint` (prettier) wants it, so the check and prettier agree.
  const options = (await prettier.resolveConfig(path)) ?? {};
  const wanted = await prettier.format(make(), { ...options, filepath: path });
  const current = read(file);
  if (wanted === current) continue;
  if (check) {
    console.error(`${file} differs from functions/*/function.yaml: run \`make generate\``);
    drifted = true;
  } else {
    writeFileSync(path, wanted);
    console.log(`wrote ${file}`);
  }
}
if (drifted) process.exit(1);
