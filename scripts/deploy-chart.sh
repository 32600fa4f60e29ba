#!/usr/bin/env bash
# make deploy-chart[-prod|-canary]: helm upgrade --install of helm/couponkill into the cluster of
# the current kubeconfig (KUBECONFIG or ~/.kube/config), namespace $NAMESPACE (couponkill).
# Usage: deploy-chart.sh default|prod|canary [extra helm args…]
source "$(dirname "$0")/chart-env.sh" helm

profile="${1:-default}"; shift || true
namespace="${NAMESPACE:-couponkill}"
release="${RELEASE:-couponkill}"
case "$profile" in
  default) values=() ;;
  prod) values=(-f "$CHART/values-prod.yaml") ;;
  canary) values=(--reuse-values -f "$CHART/values-canary.yaml") ;;
  *) die "unknown profile $profile (default, prod or canary)" ;;
esac

# One clear sentence when there is no cluster to talk to.
mkdir -p "$CK_ROOT/.run"
kubeconfig="${KUBECONFIG:-$HOME/.kube/config}"
found=""
IFS=: read -ra files <<<"$kubeconfig"
for f in "${files[@]}"; do [ -n "$f" ] && [ -f "$f" ] && found=1; done
[ -n "$found" ] || die "no Kubernetes cluster is configured: set KUBECONFIG (or create ~/.kube/config) and run this again"
if ! helm list --namespace "$namespace" >/dev/null 2>"$CK_ROOT/.run/helm-reach.log"; then
  die "the cluster of $kubeconfig does not answer ($(head -c 200 "$CK_ROOT/.run/helm-reach.log" | tr '\n' ' '))"
fi

say "helm upgrade --install $release ($profile) into namespace $namespace"
exec helm upgrade --install "$release" "$CHART" --namespace "$namespace" --create-namespace \
  "${values[@]}" --wait --timeout 10m "$@"
