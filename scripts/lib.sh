# Shared shell helpers: sourced by the other scripts, never run directly.
# One place decides where caches live and which Node runs the project.
set -euo pipefail

CK_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Downloads and builds live per user, outside the clone, so a fresh clone starts warm.
CK_CACHE="${COUPONKILL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/couponkill}"
CK_NODE_VERSION="$(tr -d '[:space:]' < "$CK_ROOT/.node-version")"
CK_NODE_HOME="$CK_CACHE/node-$CK_NODE_VERSION"
export CK_ROOT CK_CACHE CK_NODE_VERSION CK_NODE_HOME

say() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
warn() { printf '\033[1;33m!!\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31mxx\033[0m %s\n' "$*" >&2; exit 1; }

# Run as root directly, otherwise through sudo when it exists.
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "need root to run: $* (install it yourself, or run as root)"; fi
}
