#!/usr/bin/env bash
# Installs whatever is missing for `make dev` and `make test`, and nothing that is already there:
# the pinned Node LTS, the Debian packages of the local servers, and the npm workspace.
# Kafka (Maven Central) and the Nacos-protocol server (a cargo package) are fetched on first start.
source "$(dirname "$0")/lib.sh"

bash "$CK_ROOT/scripts/ensure-node.sh"
bash "$CK_ROOT/scripts/ensure-system.sh"

export PATH="$CK_NODE_HOME/bin:$PATH"
cd "$CK_ROOT"
# Reinstall only when the lockfile or the Node version changed since the last install.
stamp="node_modules/.couponkill-install"
want="$(sha256sum package-lock.json | cut -c1-16)-$CK_NODE_VERSION"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  say "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi
