#!/usr/bin/env bash
# skaffold's custom builder for one image, a function's or the operator's (skaffold.yaml:
# `custom.buildCommand: scripts/skaffold-build.sh <function|operator>`). skaffold sets IMAGE (repository:tag) and PUSH_IMAGE:
# when PUSH_IMAGE is true the image is pushed to IMAGE with skopeo, otherwise it is kept in the
# project's podman storage under that name. Daemonless: no Docker engine is needed.
source "$(dirname "$0")/lib.sh"

[ $# -eq 1 ] || die "usage: scripts/skaffold-build.sh <image>  (one folder of functions/, or operator)"
bash "$CK_ROOT/scripts/bootstrap.sh"
export PATH="$CK_NODE_HOME/bin:$PATH"
cd "$CK_ROOT"
exec node --conditions=source --import tsx tools/images/src/cli/images.ts skaffold "$1"
