import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '@couponkill/servers';
import {
  ensureCrds,
  ISTIO,
  KEDA,
  KNATIVE_EVENTING,
  KNATIVE_KAFKA,
  KNATIVE_SERVING,
  type KubeApiserver,
  kubeToolsBin,
  PROMETHEUS_OPERATOR,
  startKubeApiserver,
} from '../src/index.js';

// `helm install` of the whole bundle into a real kube-apiserver + etcd with the platform CRDs
// applied. No controllers run there: nothing becomes Ready, Jobs never run, so the install uses
// --no-hooks and the hook objects are checked with a server-side dry run instead.
const run = promisify(execFile);
const CHART = join(REPO_ROOT, 'helm/couponkill');
const NAMESPACE = 'couponkill';

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
}

let kube: KubeApiserver;
let helmHome: string;

async function helm(...args: string[]): Promise<string> {
  const env = {
    ...process.env,
    KUBECONFIG: kube.kubeconfigPath,
    HELM_CACHE_HOME: join(helmHome, 'cache'),
    HELM_CONFIG_HOME: join(helmHome, 'config'),
    HELM_DATA_HOME: join(helmHome, 'data'),
  };
  try {
    const { stdout } = await run(join(kubeToolsBin(), 'helm'), args, { env, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string };
    throw new Error(`helm ${args.slice(0, 2).join(' ')} failed:\n${e.stderr ?? ''}${e.stdout ?? ''}`, { cause: err });
  }
}

function objectsOf(yamlText: string): K8sObject[] {
  return parseAllDocuments(yamlText)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null && typeof o === 'object' && typeof o.kind === 'string');
}

/** kind → { plural, namespaced } of one group version, from the API server's discovery. */
const discovery = new Map<string, Map<string, { name: string; namespaced: boolean }>>();
async function resourceOf(apiVersion: string, kind: string): Promise<{ name: string; namespaced: boolean }> {
  let kinds = discovery.get(apiVersion);
  if (kinds === undefined) {
    const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const res = await kube.request('GET', path);
    if (res.status !== 200) throw new Error(`the API server does not serve ${apiVersion} (${res.status})`);
    const list = (res.body as { resources: { name: string; kind: string; namespaced: boolean }[] }).resources;
    kinds = new Map(list.filter((r) => !r.name.includes('/')).map((r) => [r.kind, r]));
    discovery.set(apiVersion, kinds);
  }
  const found = kinds.get(kind);
  if (found === undefined) throw new Error(`the API server has no ${kind} in ${apiVersion}`);
  return found;
}

async function pathOf(o: K8sObject, withName = true): Promise<string> {
  const { name, namespaced } = await resourceOf(o.apiVersion, o.kind);
  const base = o.apiVersion.includes('/') ? `/apis/${o.apiVersion}` : `/api/${o.apiVersion}`;
  const ns = namespaced ? `/namespaces/${o.metadata.namespace ?? NAMESPACE}` : '';
  return `${base}${ns}/${name}${withName ? `/${o.metadata.name}` : ''}`;
}

beforeAll(async () => {
  helmHome = mkdtempSync(join(tmpdir(), 'couponkill-helm-'));
  const crds = [KNATIVE_SERVING, KNATIVE_EVENTING, KNATIVE_KAFKA, KEDA, ISTIO, PROMETHEUS_OPERATOR].flatMap((set) =>
    ensureCrds(set),
  );
  kube = await startKubeApiserver({ crds, log: (line) => console.log(`[kube] ${line}`) });
  // Namespaces the platform installs bring (the chart puts its ingress Gateway next to Istio's).
  for (const name of ['istio-system', 'knative-serving', 'knative-eventing']) {
    const res = await kube.request('POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name },
    });
    if (res.status !== 201) throw new Error(`creating namespace ${name}: ${res.status}`);
  }
}, 300_000);

afterAll(async () => {
  await kube?.stop();
  rmSync(helmHome, { recursive: true, force: true });
});

describe('helm install of the bundle into a real kube-apiserver (no controllers reconcile there)', () => {
  async function installAndCheck(
    release: string,
    namespace: string,
    values: string[],
    extra: string[] = [],
  ): Promise<string[]> {
    const t0 = Date.now();
    await helm(
      'install',
      release,
      CHART,
      '-n',
      namespace,
      '--create-namespace',
      '--no-hooks',
      ...values.flatMap((v) => ['-f', join(CHART, v)]),
      ...extra,
    );
    const objects = objectsOf(await helm('get', 'manifest', release, '-n', namespace));
    const missing: string[] = [];
    for (const o of objects) {
      const res = await kube.request('GET', await pathOf({ ...o, metadata: { namespace, ...o.metadata } }));
      if (res.status !== 200) missing.push(`${o.kind}/${o.metadata.name}: ${res.status}`);
    }
    const kinds = [...new Set(objects.map((o) => o.kind))].sort();
    console.log(
      `helm install (${values.join(', ') || 'default values'}): ${objects.length} objects of ${kinds.length} kinds stored in ${Date.now() - t0} ms (${kinds.join(', ')})`,
    );
    expect(missing).toEqual([]);
    return kinds;
  }

  it('installs with every feature enabled: every object is accepted and stored', async () => {
    const kinds = await installAndCheck('couponkill', NAMESPACE, ['ci/values-all.yaml']);
    expect(kinds).toEqual(
      expect.arrayContaining([
        'KafkaSource',
        'PingSource',
        'ScaledObject',
        'VirtualService',
        'AuthorizationPolicy',
        'ServiceMonitor',
        'NetworkPolicy',
        'StatefulSet',
      ]),
    );
  }, 180_000);

  it('installs a second release with the default values next to it (the CRD already there)', async () => {
    const kinds = await installAndCheck('defaults', 'couponkill-defaults', [], ['--set', 'crd.install=false']);
    expect(kinds).toEqual(expect.arrayContaining(['Service', 'KafkaSource', 'VirtualService', 'AuthorizationPolicy']));
    await helm('uninstall', 'defaults', '-n', 'couponkill-defaults', '--no-hooks');
  }, 180_000);

  it('its hook objects (init Jobs) are accepted by a server-side dry run', async () => {
    const hooks = objectsOf(await helm('get', 'hooks', 'couponkill', '-n', NAMESPACE));
    const refused: string[] = [];
    for (const o of hooks) {
      const res = await kube.request('POST', `${await pathOf(o, false)}?dryRun=All&fieldValidation=Strict`, o);
      if (res.status >= 300) refused.push(`${o.kind}/${o.metadata.name}: ${res.status} ${JSON.stringify(res.body)}`);
    }
    console.log(`helm hooks: ${hooks.length} objects accepted by a server-side dry run`);
    expect(refused).toEqual([]);
    expect(hooks.length).toBeGreaterThan(0);
  }, 120_000);

  it('upgrades to the canary values and uninstalls', async () => {
    await helm(
      'upgrade',
      'couponkill',
      CHART,
      '-n',
      NAMESPACE,
      '--no-hooks',
      '-f',
      join(CHART, 'ci/values-all.yaml'),
      '-f',
      join(CHART, 'values-canary.yaml'),
    );
    const status = JSON.parse(await helm('status', 'couponkill', '-n', NAMESPACE, '-o', 'json')) as {
      version: number;
      info: { status: string };
    };
    expect(status).toMatchObject({ version: 2, info: { status: 'deployed' } });
    const objects = objectsOf(await helm('get', 'manifest', 'couponkill', '-n', NAMESPACE));
    const split = objects.filter((o) => o.kind === 'Service' && o.apiVersion === 'serving.knative.dev/v1');
    const withTraffic = [];
    for (const o of split) {
      const res = await kube.request('GET', await pathOf(o));
      const traffic = (res.body as { spec?: { traffic?: unknown[] } }).spec?.traffic ?? [];
      if (traffic.length > 1) withTraffic.push(o.metadata.name);
    }
    console.log(`helm upgrade to canary: revision ${status.version}, traffic split on ${withTraffic.join(', ')}`);
    expect(withTraffic.length).toBeGreaterThan(0);

    await helm('uninstall', 'couponkill', '-n', NAMESPACE, '--no-hooks');
    const left: string[] = [];
    for (const o of objects) {
      const res = await kube.request('GET', await pathOf(o));
      if (res.status !== 404 && o.kind !== 'CustomResourceDefinition') left.push(`${o.kind}/${o.metadata.name}`);
    }
    expect(left).toEqual([]);
  }, 180_000);
});
