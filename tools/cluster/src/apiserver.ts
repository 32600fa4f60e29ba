import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, fetch } from 'undici';
import { parseAllDocuments, stringify } from 'yaml';
import {
  cacheDir,
  pickPort,
  removeStateDir,
  REPO_ROOT,
  runInstallStep,
  type ServerProcess,
  spawnServer,
  stateDir,
  waitFor,
} from '@couponkill/servers';

export interface KubeApiserverOptions {
  /** Names the state folder `.run/<profile>/` (removed on stop unless `keepState`). */
  readonly profile?: string;
  /** CRD files (YAML, several documents each allowed) applied and awaited until Established. */
  readonly crds?: readonly string[];
  readonly log?: (line: string) => void;
  readonly keepState?: boolean;
}

export interface KubeApiserver {
  /** A kubeconfig with the CA embedded and the admin token (group `system:masters`). */
  readonly kubeconfigPath: string;
  /** https://127.0.0.1:<port> */
  readonly server: string;
  readonly token: string;
  /** PEM of the CA that signed the serving certificate. */
  readonly ca: string;
  /** Applies more CRDs (server-side apply) and waits until they are Established. */
  applyCrds(files: readonly string[]): Promise<void>;
  /** An authenticated request to the API server (JSON in, JSON out unless `accept` asks otherwise). */
  request(method: string, path: string, body?: unknown, contentType?: string, accept?: string): Promise<Response>;
  stop(): Promise<void>;
}

type Response = { readonly status: number; readonly body: unknown };

/** The per-user cache folder the Kubernetes binaries are built into (scripts/tasks/go-tools.mjs). */
export function kubeToolsBin(): string {
  return join(cacheDir('k8s-tools'), 'bin');
}

/** Builds kube-apiserver and etcd once per user when missing (minutes, the first time only). */
export async function ensureKubeBinaries(log: (line: string) => void = () => undefined): Promise<void> {
  const bin = kubeToolsBin();
  if (existsSync(join(bin, 'kube-apiserver')) && existsSync(join(bin, 'etcd'))) return;
  await runInstallStep(
    'kube-apiserver + etcd',
    process.execPath,
    [join(REPO_ROOT, 'scripts/tasks/go-tools.mjs'), 'etcd', 'kube_apiserver'],
    {
      log,
      showOutput: (line) => line.includes('==>'),
    },
  );
}

/**
 * A real kube-apiserver backed by a real etcd on 127.0.0.1 (free ports, a state folder of its
 * own), with a self-made CA, a service-account key pair and one admin token, RBAC authorization.
 * No controllers run: nothing reconciles Deployments, ksvcs or namespaces — tests write what a
 * controller would. Both processes die with their parent (parent-death signal).
 */
export async function startKubeApiserver(options: KubeApiserverOptions = {}): Promise<KubeApiserver> {
  const log = options.log ?? (() => undefined);
  await ensureKubeBinaries(log);
  const bin = kubeToolsBin();
  const profile = options.profile ?? `kube-${process.pid}-${randomBytes(2).toString('hex')}`;
  const dir = stateDir(profile, 'kube');
  const pki = makePki(dir);
  const token = randomBytes(24).toString('hex');
  const tokenFile = join(dir, 'tokens.csv');
  writeFileSync(tokenFile, `${token},couponkill-admin,couponkill-admin,"system:masters"\n`, { mode: 0o600 });

  const started = Date.now();
  const [etcdPort, peerPort, apiPort] = [await pickPort(), await pickPort(), await pickPort()];
  const etcdUrl = `http://127.0.0.1:${etcdPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const processes: ServerProcess[] = [];
  const stopAll = async () => {
    for (const p of processes.reverse()) await p.stop(5_000);
    if (options.keepState !== true) removeStateDir(profile);
  };
  try {
    const etcd = spawnServer({
      name: 'etcd',
      command: join(bin, 'etcd'),
      args: [
        '--name=couponkill',
        `--data-dir=${join(dir, 'etcd')}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=couponkill=${peerUrl}`,
        // A throwaway store for tests: durability against power loss buys nothing here.
        '--unsafe-no-fsync=true',
        '--log-level=warn',
      ],
      logFile: join(dir, 'etcd.log'),
      pidFile: join(dir, 'etcd.pid'),
    });
    processes.push(etcd);
    await waitFor(
      async () => {
        const res = await fetch(`${etcdUrl}/health`);
        return res.ok && ((await res.json()) as { health?: string }).health === 'true';
      },
      { what: 'etcd', timeoutMs: 20_000, server: etcd },
    );

    const apiserver = spawnServer({
      name: 'kube-apiserver',
      command: join(bin, 'kube-apiserver'),
      args: [
        `--etcd-servers=${etcdUrl}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${apiPort}`,
        `--cert-dir=${dir}`,
        `--tls-cert-file=${pki.servingCert}`,
        `--tls-private-key-file=${pki.servingKey}`,
        `--client-ca-file=${pki.caCert}`,
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-account-key-file=${pki.saPublic}`,
        `--service-account-signing-key-file=${pki.saKey}`,
        `--token-auth-file=${tokenFile}`,
        '--authorization-mode=RBAC',
        // No kube-controller-manager runs, so nothing would maintain the kubernetes Endpoints.
        '--endpoint-reconciler-type=none',
        '--service-cluster-ip-range=10.96.0.0/16',
        '--enable-admission-plugins=NamespaceLifecycle,ServiceAccount',
        '--profiling=false',
        '--v=0',
      ],
      logFile: join(dir, 'kube-apiserver.log'),
      pidFile: join(dir, 'kube-apiserver.pid'),
    });
    processes.push(apiserver);

    const server = `https://127.0.0.1:${apiPort}`;
    const ca = readFileSync(pki.caCert, 'utf8');
    const dispatcher = new Agent({ connect: { ca } });
    const request = async (
      method: string,
      path: string,
      body?: unknown,
      contentType = 'application/json',
      accept = 'application/json',
    ) => {
      const res = await fetch(`${server}${path}`, {
        method,
        dispatcher,
        headers: { authorization: `Bearer ${token}`, accept, 'content-type': contentType },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // plain-text answers (readyz) stay strings
      }
      return { status: res.status, body: parsed };
    };
    await waitFor(async () => (await request('GET', '/readyz')).status === 200, {
      what: 'kube-apiserver /readyz',
      timeoutMs: 90_000,
      intervalMs: 250,
      server: apiserver,
    });
    log(`kube-apiserver ready on ${server} in ${Date.now() - started} ms`);

    const kubeconfigPath = join(dir, 'kubeconfig');
    writeFileSync(kubeconfigPath, kubeconfig(server, ca, token), { mode: 0o600 });

    const applyCrds = async (files: readonly string[]) => {
      const names: string[] = [];
      for (const file of files) {
        for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
          const crd = doc.toJS() as { kind?: string; metadata?: { name?: string } } | null;
          const name = crd?.metadata?.name;
          if (crd?.kind !== 'CustomResourceDefinition' || name === undefined) continue;
          // Server-side apply: the same call creates or updates, so applying twice is harmless.
          const res = await request(
            'PATCH',
            `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}?fieldManager=couponkill-harness&force=true`,
            JSON.stringify(crd),
            'application/apply-patch+yaml',
          );
          if (res.status >= 300) throw new Error(`applying CRD ${name}: ${res.status} ${JSON.stringify(res.body)}`);
          names.push(name);
        }
      }
      for (const name of names) {
        await waitFor(
          async () => {
            const res = await request('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`);
            const conditions =
              (res.body as { status?: { conditions?: Array<{ type: string; status: string }> } }).status?.conditions ??
              [];
            return conditions.some((c) => c.type === 'Established' && c.status === 'True');
          },
          { what: `CRD ${name} Established`, timeoutMs: 30_000, intervalMs: 100 },
        );
      }
      log(`${names.length} CRDs established`);
    };
    if (options.crds !== undefined && options.crds.length > 0) await applyCrds(options.crds);

    return {
      kubeconfigPath,
      server,
      token,
      ca,
      applyCrds,
      request,
      async stop() {
        await dispatcher.close();
        await stopAll();
      },
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

function kubeconfig(server: string, ca: string, token: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: 'couponkill', cluster: { server, 'certificate-authority-data': Buffer.from(ca).toString('base64') } },
    ],
    users: [{ name: 'couponkill-admin', user: { token } }],
    contexts: [
      { name: 'couponkill', context: { cluster: 'couponkill', user: 'couponkill-admin', namespace: 'default' } },
    ],
    'current-context': 'couponkill',
  });
}

interface Pki {
  readonly caCert: string;
  readonly servingCert: string;
  readonly servingKey: string;
  readonly saKey: string;
  readonly saPublic: string;
}

/** A CA, a serving certificate for 127.0.0.1/localhost it signed, and a service-account key pair. */
function makePki(dir: string): Pki {
  const p = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=couponkill-test-ca',
    '-keyout',
    p('ca.key'),
    '-out',
    p('ca.crt'),
  );
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=kube-apiserver',
    '-keyout',
    p('serving.key'),
    '-out',
    p('serving.csr'),
  );
  writeFileSync(
    p('serving.ext'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n',
  );
  openssl(
    'x509',
    '-req',
    '-in',
    p('serving.csr'),
    '-CA',
    p('ca.crt'),
    '-CAkey',
    p('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    p('serving.ext'),
    '-out',
    p('serving.crt'),
  );
  openssl('genrsa', '-out', p('sa.key'), '2048');
  openssl('rsa', '-in', p('sa.key'), '-pubout', '-out', p('sa.pub'));
  return {
    caCert: p('ca.crt'),
    servingCert: p('serving.crt'),
    servingKey: p('serving.key'),
    saKey: p('sa.key'),
    saPublic: p('sa.pub'),
  };
}
