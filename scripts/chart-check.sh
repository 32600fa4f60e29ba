#!/usr/bin/env bash
# make chart-check: the chart is linted strictly with each values set, rendered into
# .run/chart/rendered-<name>.yaml (for kubeconform or a look), unit-tested with helm-unittest, and
# a broken value must fail with a message that names it.
source "$(dirname "$0")/chart-env.sh" helm helm_unittest kubeconform skaffold

out="$CK_ROOT/.run/chart"
rm -rf "$out" && mkdir -p "$out"
node "$CK_ROOT/scripts/chart-files.mjs" --check
declare -A sets=(
  [default]=""
  [prod]="$CHART/values-prod.yaml"
  [canary]="$CHART/values-canary.yaml"
  [all]="$CHART/ci/values-all.yaml"
)
for name in default prod canary all; do
  args=()
  [ -n "${sets[$name]}" ] && args=(-f "${sets[$name]}")
  if ! helm lint --strict --quiet "$CHART" "${args[@]}" >"$out/lint-$name.log" 2>&1; then
    cat "$out/lint-$name.log" >&2
    die "helm lint --strict failed with the $name values"
  fi
  helm template couponkill "$CHART" --namespace couponkill "${args[@]}" >"$out/rendered-$name.yaml"
  printf 'chart: %-8s lint ok, %3d objects → .run/chart/rendered-%s.yaml\n' "$name" "$(grep -c '^kind:' "$out/rendered-$name.yaml")" "$name"
done

# Every rendered object, and the platform manifests, against the offline upstream schemas
# (Kubernetes 1.34, Knative, Kafka source, KEDA, Istio, Prometheus operator, our CRD), strictly.
platform=("$CK_ROOT"/knative/*/*.yaml "$CK_ROOT/istio/namespace.yaml" "$CK_ROOT/istio/peer-authentication.yaml")
(cd "$CK_ROOT" && node --conditions=source --import tsx tools/cluster/src/cli/validate-manifests.ts --crd "$CK_ROOT/operator/crds/seckill.couponkill.io.yaml" \
  "$out"/rendered-{default,prod,canary,all}.yaml "${platform[@]}" "$CK_ROOT/operator/examples/seckill.yaml") >"$out/kubeconform.log" 2>&1 ||
  { cat "$out/kubeconform.log" >&2; die "kubeconform: rendered objects do not match their schemas"; }
echo "chart: kubeconform (strict, offline schemas) $(tail -1 "$out/kubeconform.log")"

helm-unittest --color=false "$CHART" >"$out/unittest.log" 2>&1 || { cat "$out/unittest.log" >&2; die "helm-unittest failed"; }
grep -E '^(Test Suites|Tests):' "$out/unittest.log" | sed 's/^/chart: unittest /'

# A broken value fails the render with a message naming the key.
if helm template couponkill "$CHART" --set redis.replicas=two >"$out/negative.log" 2>&1; then
  die "a string for redis.replicas was accepted: values.schema.json is not enforced"
fi
grep -q "at '/redis/replicas': got string, want integer" "$out/negative.log" ||
  { cat "$out/negative.log" >&2; die "a string for redis.replicas failed, but without the expected message"; }
echo "chart: negative check ok: $(grep -o "at '/redis/replicas'.*" "$out/negative.log")"

# skaffold.yaml renders for every profile (offline, nothing built).
export SKAFFOLD_UPDATE_CHECK=false SKAFFOLD_CONFIG="$out/skaffold/config" SKAFFOLD_CACHE_FILE="$out/skaffold/cache"
mkdir -p "$out/skaffold"
for p in dev prod canary docker; do
  (cd "$CK_ROOT" && skaffold render --offline=true --digest-source=none -p "$p") \
    >"$out/skaffold-$p.yaml" 2>"$out/skaffold-$p.log" || { cat "$out/skaffold-$p.log" >&2; die "skaffold render -p $p failed"; }
done
echo "chart: skaffold render ok for profiles dev, prod, canary, docker → .run/chart/skaffold-<profile>.yaml"
