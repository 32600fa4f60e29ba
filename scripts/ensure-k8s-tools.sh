#!/usr/bin/env bash
# Builds the Kubernetes tooling the chart checks need, once per version, into the per-user cache:
# helm, helm-unittest, kubeconform, skaffold, kube-apiserver and etcd. Everything comes from the Go
# module proxy at pinned versions (it serves only some), so later runs are offline.
# Usage: ensure-k8s-tools.sh [tool…]   (no argument: all of them). Prints progress to stderr.
source "$(dirname "$0")/lib.sh"

HELM_VERSION=v3.22.0
HELM_UNITTEST_VERSION=v1.1.2
KUBECONFORM_VERSION=v0.8.0
SKAFFOLD_VERSION=v2.16.1
KUBERNETES_VERSION=v1.34.4
ETCD_VERSION=v3.6.16

command -v go >/dev/null 2>&1 || die "the chart checks need Go (1.26 or newer) to build helm, kubeconform and kube-apiserver: install Go and rerun"

TOOLS="$CK_CACHE/k8s-tools"
BIN="$TOOLS/bin"
mkdir -p "$BIN" "$TOOLS/src"
# Module and build caches grow to several GB: keep them per user, next to the binaries.
export GOPATH="$CK_CACHE/go" GOMODCACHE="$CK_CACHE/go/mod" GOCACHE="$CK_CACHE/go/build"
export GOFLAGS="-buildvcs=false -mod=mod" GOTOOLCHAIN=local CGO_ENABLED=0 GOBIN="$TOOLS/gobin"

# A binary is "ready" when it exists under its versioned name; the unversioned link points at it.
have() { [ -x "$BIN/$1-$2" ]; }
link() { ln -sfn "$1-$2" "$BIN/$1"; }
module_dir() { go mod download -json "$1" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);if(j.Error){console.error(j.Error);process.exit(1)}console.log(j.Dir)})'; }
# A writable copy of a module's source, for modules whose replace directives forbid `go install`.
module_copy() {
  local dest="$TOOLS/src/$2"
  if [ ! -d "$dest" ]; then
    local dir; dir="$(module_dir "$1")"
    rm -rf "$dest.tmp" && cp -r "$dir" "$dest.tmp" && chmod -R u+w "$dest.tmp" && mv "$dest.tmp" "$dest"
  fi
  echo "$dest"
}
# Drops a copied module's replace directives that point at sibling folders of its own repository:
# the published versions of those modules stand in for them.
drop_local_replaces() {
  (cd "$1" && go mod edit -json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{for(const r of JSON.parse(s).Replace??[])if(r.New.Path.startsWith("."))console.log(r.Old.Path)})' |
    while read -r mod; do go mod edit -dropreplace="$mod"; done)
}
timed() { local t0=$SECONDS; "$@"; say "  done in $((SECONDS - t0)) s"; }

build_helm() {
  have helm $HELM_VERSION && return
  say "building helm $HELM_VERSION (first time only, several minutes)"
  timed go install -trimpath -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" \
    "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  mv "$GOBIN/helm" "$BIN/helm-$HELM_VERSION" && link helm $HELM_VERSION
}

build_kubeconform() {
  have kubeconform $KUBECONFORM_VERSION && return
  say "building kubeconform $KUBECONFORM_VERSION"
  timed go install -trimpath -ldflags "-s -w" "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION"
  mv "$GOBIN/kubeconform" "$BIN/kubeconform-$KUBECONFORM_VERSION" && link kubeconform $KUBECONFORM_VERSION
}

build_helm_unittest() {
  have helm-unittest $HELM_UNITTEST_VERSION && return
  say "building helm-unittest $HELM_UNITTEST_VERSION (first time only, several minutes)"
  local src; src="$(module_copy "github.com/helm-unittest/helm-unittest@$HELM_UNITTEST_VERSION" "helm-unittest-$HELM_UNITTEST_VERSION")"
  (cd "$src" && timed go build -trimpath -ldflags "-s -w" -o "$BIN/helm-unittest-$HELM_UNITTEST_VERSION" ./cmd/helm-unittest)
  link helm-unittest $HELM_UNITTEST_VERSION
}

build_skaffold() {
  have skaffold $SKAFFOLD_VERSION && return
  say "building skaffold $SKAFFOLD_VERSION (first time only, several minutes)"
  local src; src="$(module_copy "github.com/GoogleContainerTools/skaffold/v2@$SKAFFOLD_VERSION" "skaffold-$SKAFFOLD_VERSION")"
  (cd "$src" && timed go build -trimpath \
    -ldflags "-s -w -X github.com/GoogleContainerTools/skaffold/v2/pkg/skaffold/version.version=$SKAFFOLD_VERSION" \
    -o "$BIN/skaffold-$SKAFFOLD_VERSION" ./cmd/skaffold)
  link skaffold $SKAFFOLD_VERSION
}

build_etcd() {
  have etcd $ETCD_VERSION && return
  say "building etcd $ETCD_VERSION"
  local src; src="$(module_copy "go.etcd.io/etcd/server/v3@$ETCD_VERSION" "etcd-$ETCD_VERSION")"
  drop_local_replaces "$src"
  (cd "$src" && timed go build -trimpath -ldflags "-s -w" -o "$BIN/etcd-$ETCD_VERSION" .)
  link etcd $ETCD_VERSION
}

# kube-apiserver's module replaces its staging modules with relative paths, so it is built from a
# wrapper module that pins each staging module to its published release instead.
build_kube_apiserver() {
  have kube-apiserver $KUBERNETES_VERSION && return
  say "building kube-apiserver $KUBERNETES_VERSION (first time only, 6-12 minutes, ~2 GB of memory)"
  local wrap="$TOOLS/src/kube-apiserver-$KUBERNETES_VERSION"
  local staging="v0.${KUBERNETES_VERSION#v1.}"
  mkdir -p "$wrap"
  local gomod; gomod="$(go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).GoMod))')"
  {
    echo "module couponkill.local/kube-apiserver"
    echo
    echo "go 1.24"
    echo
    echo "require k8s.io/kubernetes $KUBERNETES_VERSION"
    echo
    grep -oE '^\s*k8s\.io/[a-z0-9-]+ => \./staging/src/k8s\.io/[a-z0-9-]+' "$gomod" |
      awk -v v="$staging" '{print "replace " $1 " => " $1 " " v}'
  } >"$wrap/go.mod"
  printf 'package main\n\nimport _ "k8s.io/kubernetes/cmd/kube-apiserver/app"\n\nfunc main() {}\n' >"$wrap/tools.go"
  (cd "$wrap" && go mod tidy >/dev/null 2>&1 || true)
  # The version is stamped the way Kubernetes' own build does, so clients (helm's kubeVersion
  # checks among them) see v1.34.x rather than v0.0.0-master.
  local minor="${KUBERNETES_VERSION#v1.}"; minor="${minor%%.*}"
  local stamp="-X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION -X k8s.io/component-base/version.gitMajor=1"
  stamp+=" -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean"
  stamp+=" -X k8s.io/client-go/pkg/version.gitVersion=$KUBERNETES_VERSION"
  (cd "$wrap" && timed go build -trimpath -ldflags "-s -w $stamp" -o "$BIN/kube-apiserver-$KUBERNETES_VERSION" k8s.io/kubernetes/cmd/kube-apiserver)
  link kube-apiserver $KUBERNETES_VERSION
}

all=(kubeconform helm helm_unittest etcd skaffold kube_apiserver)
wanted=("${@:-${all[@]}}")
for tool in "${wanted[@]}"; do "build_${tool//-/_}"; done
say "kubernetes tools ready in $BIN"
