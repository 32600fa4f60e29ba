// The Go-built tools, once per version, into the per-user cache: helm, helm-unittest, kubeconform,
// skaffold, kube-apiserver and etcd for the chart checks and the cluster harness, toxiproxy for
// make chaos. Everything comes from the Go module proxy at pinned versions (it serves only some),
// so later runs are offline. Progress goes to stderr.
//   node scripts/tasks/go-tools.mjs [tool…]     Kubernetes tools (no argument: all of them)
//   node scripts/tasks/go-tools.mjs toxiproxy   prints the path of the toxiproxy server on stdout
import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CACHE, capture, runSync, say, TaskError, which } from './run.mjs';

export const VERSIONS = {
  helm: 'v3.22.0',
  helm_unittest: 'v1.1.2',
  kubeconform: 'v0.8.0',
  skaffold: 'v2.16.1',
  kube_apiserver: 'v1.34.4',
  etcd: 'v3.6.16',
  toxiproxy: 'v2.5.0',
};

export const K8S_TOOLS = join(CACHE, 'k8s-tools');
export const K8S_BIN = join(K8S_TOOLS, 'bin');
const ALL = ['kubeconform', 'helm', 'helm_unittest', 'etcd', 'skaffold', 'kube_apiserver'];

/** Go's environment: module and build caches grow to several GB, so they stay per user. */
function goEnv(gobin) {
  return {
    ...process.env,
    GOPATH: join(CACHE, 'go'),
    GOMODCACHE: join(CACHE, 'go', 'mod'),
    GOCACHE: join(CACHE, 'go', 'build'),
    GOFLAGS: '-buildvcs=false -mod=mod',
    GOTOOLCHAIN: 'local',
    CGO_ENABLED: '0',
    GOBIN: gobin,
  };
}

// Go's own stdout goes to stderr too: stdout carries only what a caller asked for.
const toStderr = ['ignore', 2, 2];
const go = (args, cwd, env) => runSync('go', args, { cwd, env, stdio: toStderr });

function timed(fn) {
  const t0 = Date.now();
  fn();
  say(`  done in ${Math.round((Date.now() - t0) / 1000)} s`);
}

function needGo(why) {
  if (which('go') === undefined) throw new TaskError(`${why}: install Go and rerun`);
}

function kubernetesTools(wanted) {
  needGo('the chart checks need Go (1.26 or newer) to build helm, kubeconform and kube-apiserver');
  const env = goEnv(join(K8S_TOOLS, 'gobin'));
  mkdirSync(K8S_BIN, { recursive: true });
  mkdirSync(join(K8S_TOOLS, 'src'), { recursive: true });

  // A binary is "ready" when it exists under its versioned name; the unversioned link points at it.
  const have = (name, version) => existsSync(join(K8S_BIN, `${name}-${version}`));
  const link = (name, version) => {
    const at = join(K8S_BIN, name);
    if (existsSync(at) || isLink(at)) unlinkSync(at);
    symlinkSync(`${name}-${version}`, at);
  };
  const moduleInfo = (mod) => {
    const info = JSON.parse(capture('go', ['mod', 'download', '-json', mod], { env }));
    if (info.Error) throw new TaskError(info.Error);
    return info;
  };
  // A writable copy of a module's source, for modules whose replace directives forbid `go install`.
  const moduleCopy = (mod, name) => {
    const dest = join(K8S_TOOLS, 'src', name);
    if (!existsSync(dest)) {
      const dir = moduleInfo(mod).Dir;
      rmSync(`${dest}.tmp`, { recursive: true, force: true });
      cpSync(dir, `${dest}.tmp`, { recursive: true });
      userWritable(`${dest}.tmp`);
      renameSync(`${dest}.tmp`, dest);
    }
    return dest;
  };
  // Drops a copied module's replace directives that point at sibling folders of its own
  // repository: the published versions of those modules stand in for them.
  const dropLocalReplaces = (dir) => {
    const mod = JSON.parse(capture('go', ['mod', 'edit', '-json'], { cwd: dir, env }));
    for (const r of mod.Replace ?? [])
      if (r.New.Path.startsWith('.')) go(['mod', 'edit', `-dropreplace=${r.Old.Path}`], dir, env);
  };
  const installed = (name, version, goName = name) => {
    renameSync(join(env.GOBIN, goName), join(K8S_BIN, `${name}-${version}`));
    link(name, version);
  };

  const builders = {
    helm() {
      const v = VERSIONS.helm;
      if (have('helm', v)) return;
      say(`building helm ${v} (first time only, several minutes)`);
      timed(() =>
        go(
          [
            'install',
            '-trimpath',
            '-ldflags',
            `-s -w -X helm.sh/helm/v3/internal/version.version=${v}`,
            `helm.sh/helm/v3/cmd/helm@${v}`,
          ],
          undefined,
          env,
        ),
      );
      installed('helm', v);
    },
    kubeconform() {
      const v = VERSIONS.kubeconform;
      if (have('kubeconform', v)) return;
      say(`building kubeconform ${v}`);
      timed(() =>
        go(
          ['install', '-trimpath', '-ldflags', '-s -w', `github.com/yannh/kubeconform/cmd/kubeconform@${v}`],
          undefined,
          env,
        ),
      );
      installed('kubeconform', v);
    },
    helm_unittest() {
      const v = VERSIONS.helm_unittest;
      if (have('helm-unittest', v)) return;
      say(`building helm-unittest ${v} (first time only, several minutes)`);
      const src = moduleCopy(`github.com/helm-unittest/helm-unittest@${v}`, `helm-unittest-${v}`);
      timed(() =>
        go(
          ['build', '-trimpath', '-ldflags', '-s -w', '-o', join(K8S_BIN, `helm-unittest-${v}`), './cmd/helm-unittest'],
          src,
          env,
        ),
      );
      link('helm-unittest', v);
    },
    skaffold() {
      const v = VERSIONS.skaffold;
      if (have('skaffold', v)) return;
      say(`building skaffold ${v} (first time only, several minutes)`);
      const src = moduleCopy(`github.com/GoogleContainerTools/skaffold/v2@${v}`, `skaffold-${v}`);
      const ldflags = `-s -w -X github.com/GoogleContainerTools/skaffold/v2/pkg/skaffold/version.version=${v}`;
      timed(() =>
        go(
          ['build', '-trimpath', '-ldflags', ldflags, '-o', join(K8S_BIN, `skaffold-${v}`), './cmd/skaffold'],
          src,
          env,
        ),
      );
      link('skaffold', v);
    },
    etcd() {
      const v = VERSIONS.etcd;
      if (have('etcd', v)) return;
      say(`building etcd ${v}`);
      const src = moduleCopy(`go.etcd.io/etcd/server/v3@${v}`, `etcd-${v}`);
      dropLocalReplaces(src);
      timed(() => go(['build', '-trimpath', '-ldflags', '-s -w', '-o', join(K8S_BIN, `etcd-${v}`), '.'], src, env));
      link('etcd', v);
    },
    // kube-apiserver's module replaces its staging modules with relative paths, so it is built from
    // a wrapper module that pins each staging module to its published release instead.
    kube_apiserver() {
      const v = VERSIONS.kube_apiserver;
      if (have('kube-apiserver', v)) return;
      say(`building kube-apiserver ${v} (first time only, 6-12 minutes, ~2 GB of memory)`);
      const wrap = join(K8S_TOOLS, 'src', `kube-apiserver-${v}`);
      const staging = `v0.${v.slice('v1.'.length)}`;
      mkdirSync(wrap, { recursive: true });
      const gomod = readFileSync(moduleInfo(`k8s.io/kubernetes@${v}`).GoMod, 'utf8');
      const replaces = [...gomod.matchAll(/^\s*(k8s\.io\/[a-z0-9-]+) => \.\/staging\/src\/k8s\.io\/[a-z0-9-]+/gm)].map(
        (m) => `replace ${m[1]} => ${m[1]} ${staging}`,
      );
      writeFileSync(
        join(wrap, 'go.mod'),
        [
          'module couponkill.local/kube-apiserver',
          '',
          'go 1.24',
          '',
          `require k8s.io/kubernetes ${v}`,
          '',
          ...replaces,
          '',
        ].join('\n'),
      );
      writeFileSync(
        join(wrap, 'tools.go'),
        'package main\n\nimport _ "k8s.io/kubernetes/cmd/kube-apiserver/app"\n\nfunc main() {}\n',
      );
      runSync('go', ['mod', 'tidy'], { cwd: wrap, env, stdio: 'ignore', check: false });
      // The version is stamped the way Kubernetes' own build does, so clients (helm's kubeVersion
      // checks among them) see v1.34.x rather than v0.0.0-master.
      const minor = v.slice('v1.'.length).split('.')[0];
      const stamp = [
        `-X k8s.io/component-base/version.gitVersion=${v}`,
        '-X k8s.io/component-base/version.gitMajor=1',
        `-X k8s.io/component-base/version.gitMinor=${minor}`,
        '-X k8s.io/component-base/version.gitTreeState=clean',
        `-X k8s.io/client-go/pkg/version.gitVersion=${v}`,
      ].join(' ');
      timed(() =>
        go(
          [
            'build',
            '-trimpath',
            '-ldflags',
            `-s -w ${stamp}`,
            '-o',
            join(K8S_BIN, `kube-apiserver-${v}`),
            'k8s.io/kubernetes/cmd/kube-apiserver',
          ],
          wrap,
          env,
        ),
      );
      link('kube-apiserver', v);
    },
  };

  for (const tool of wanted.length > 0 ? wanted : ALL) {
    const build = builders[tool.replaceAll('-', '_')];
    if (build === undefined) throw new TaskError(`unknown tool ${tool} (have: ${ALL.join(', ')})`);
    build();
  }
  say(`kubernetes tools ready in ${K8S_BIN}`);
}

/** toxiproxy's server, built when missing; returns its path. */
export function toxiproxy() {
  const v = VERSIONS.toxiproxy;
  const tools = join(CACHE, 'chaos-tools');
  const target = join(tools, 'bin', `toxiproxy-server-${v}`);
  if (existsSync(target)) return target;
  needGo('make chaos needs Go (1.22 or newer) to build toxiproxy');
  mkdirSync(join(tools, 'bin'), { recursive: true });
  // Module and build caches are shared with the other Go tools of the project, per user.
  const env = goEnv(join(tools, 'gobin'));
  say(`building toxiproxy ${v} (first time only, about a minute)`);
  timed(() =>
    go(
      [
        'install',
        '-trimpath',
        '-ldflags',
        `-s -w -X github.com/Shopify/toxiproxy/v2.Version=${v}`,
        `github.com/Shopify/toxiproxy/v2/cmd/server@${v}`,
      ],
      undefined,
      env,
    ),
  );
  renameSync(join(env.GOBIN, 'server'), target);
  return target;
}

/** Makes Go's read-only module copy writable for its owner. */
function userWritable(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    chmodSync(path, lstatSync(path).mode | 0o200);
    if (entry.isDirectory()) userWritable(path);
  }
  chmodSync(dir, lstatSync(dir).mode | 0o200);
}

function isLink(path) {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** The tools a chart verb needs, built when missing. */
export function ensureKubernetesTools(tools) {
  const missing = tools.filter((t) => !existsSync(join(K8S_BIN, t.replaceAll('_', '-'))));
  if (missing.length > 0) kubernetesTools(missing);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    const args = process.argv.slice(2);
    if (args[0] === 'toxiproxy') console.log(toxiproxy());
    else kubernetesTools(args);
  } catch (err) {
    if (!(err instanceof TaskError)) throw err;
    console.error(`\u001b[1;31mxx\u001b[0m ${err.message}`);
    process.exit(err.code);
  }
}
