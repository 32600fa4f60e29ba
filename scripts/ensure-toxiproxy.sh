#!/usr/bin/env bash
# Builds toxiproxy (the fault-injecting TCP proxy of `make chaos`) once per version into the per-user
# cache, from the Go module proxy at a pinned version, so later runs are offline. Prints the path
# of the server binary on stdout; progress goes to stderr.
source "$(dirname "$0")/lib.sh"

TOXIPROXY_VERSION=v2.5.0

command -v go >/dev/null 2>&1 || die "make chaos needs Go (1.22 or newer) to build toxiproxy: install Go and rerun"

TOOLS="$CK_CACHE/chaos-tools"
BIN="$TOOLS/bin"
TARGET="$BIN/toxiproxy-server-$TOXIPROXY_VERSION"
if [ ! -x "$TARGET" ]; then
  mkdir -p "$BIN"
  # Module and build caches are shared with the other Go tools of the project, per user.
  export GOPATH="$CK_CACHE/go" GOMODCACHE="$CK_CACHE/go/mod" GOCACHE="$CK_CACHE/go/build"
  export GOFLAGS="-buildvcs=false -mod=mod" GOTOOLCHAIN=local CGO_ENABLED=0 GOBIN="$TOOLS/gobin"
  say "building toxiproxy $TOXIPROXY_VERSION (first time only, about a minute)"
  t0=$SECONDS
  go install -trimpath -ldflags "-s -w -X github.com/Shopify/toxiproxy/v2.Version=$TOXIPROXY_VERSION" \
    "github.com/Shopify/toxiproxy/v2/cmd/server@$TOXIPROXY_VERSION"
  mv "$GOBIN/server" "$TARGET"
  say "  done in $((SECONDS - t0)) s"
fi
echo "$TARGET"
