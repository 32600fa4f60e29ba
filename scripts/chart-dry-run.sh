#!/usr/bin/env bash
# make chart-dry-run: a throwaway etcd + kube-apiserver (the pinned builds in the per-user cache),
# every render of `make chart-check` dry-run against it with strict field validation (the Seckill
# CRD for real, stand-ins for the Knative/Istio/KEDA/prometheus-operator kinds), then both stopped.
source "$(dirname "$0")/chart-env.sh" etcd kube_apiserver
[ -f "$CK_ROOT/.run/chart/rendered-all.yaml" ] || bash "$CK_ROOT/scripts/chart-check.sh"

dir="$CK_ROOT/.run/chart/apiserver"
rm -rf "$dir" && mkdir -p "$dir"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
openssl genrsa -out "$dir/sa.key" 2048 2>/dev/null
openssl rsa -in "$dir/sa.key" -pubout -out "$dir/sa.pub" 2>/dev/null
token="$(openssl rand -hex 16)"
echo "$token,admin,admin,system:masters" >"$dir/tokens.csv"
port_etcd=$((23000 + RANDOM % 1000)) port_api=$((26000 + RANDOM % 1000))

setpriv --pdeathsig TERM etcd --data-dir "$dir/etcd" --listen-client-urls "http://127.0.0.1:$port_etcd" \
  --advertise-client-urls "http://127.0.0.1:$port_etcd" --listen-peer-urls "http://127.0.0.1:$((port_etcd + 1000))" \
  >"$dir/etcd.log" 2>&1 &
pids+=($!)
setpriv --pdeathsig TERM kube-apiserver --etcd-servers "http://127.0.0.1:$port_etcd" --bind-address 127.0.0.1 \
  --secure-port "$port_api" --cert-dir "$dir/certs" --token-auth-file "$dir/tokens.csv" --authorization-mode RBAC \
  --service-account-issuer https://kubernetes.default.svc --service-account-key-file "$dir/sa.pub" \
  --service-account-signing-key-file "$dir/sa.key" --service-cluster-ip-range 10.96.0.0/16 \
  --enable-priority-and-fairness=false >"$dir/apiserver.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 90); do
  curl -sfk -H "Authorization: Bearer $token" "https://127.0.0.1:$port_api/readyz" >/dev/null 2>&1 && break
  sleep 1
done
curl -sfk -H "Authorization: Bearer $token" "https://127.0.0.1:$port_api/readyz" >/dev/null || { tail -5 "$dir/apiserver.log" >&2; die "kube-apiserver did not become ready"; }

status=0
for name in default prod canary all; do
  printf 'dry-run %-8s ' "$name"
  API_SERVER="https://127.0.0.1:$port_api" API_TOKEN="$token" node --no-warnings "$CK_ROOT/scripts/chart-dry-run.mjs" \
    --stub-crds "$CK_ROOT/.run/chart/rendered-$name.yaml" || status=1
done
exit $status
