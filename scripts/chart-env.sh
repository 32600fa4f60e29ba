# Sourced by the chart scripts: the pinned helm and helm-unittest on PATH (built once by
# ensure-k8s-tools.sh), and helm's own state kept under .run/ instead of $HOME.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

K8S_BIN="$CK_CACHE/k8s-tools/bin"
need_tools=()
for t in "$@"; do [ -x "$K8S_BIN/${t//_/-}" ] || need_tools+=("$t"); done
if [ "${#need_tools[@]}" -gt 0 ]; then bash "$CK_ROOT/scripts/ensure-k8s-tools.sh" "${need_tools[@]}"; fi
export PATH="$K8S_BIN:$PATH"
export HELM_CACHE_HOME="$CK_ROOT/.run/helm/cache" HELM_CONFIG_HOME="$CK_ROOT/.run/helm/config" HELM_DATA_HOME="$CK_ROOT/.run/helm/data"
CHART="$CK_ROOT/helm/couponkill"
