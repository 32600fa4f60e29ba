#!/usr/bin/env bash
# skaffold's custom builder as skaffold.yaml names it; the verb is `node scripts/tasks.mjs skaffold-build <image>`.
exec node "$(dirname "$0")/tasks.mjs" skaffold-build "$@"
