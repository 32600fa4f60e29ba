#!/usr/bin/env bash
# Kept for callers that still run this path: the builds are scripts/tasks/go-tools.mjs.
exec node "$(dirname "$0")/tasks/go-tools.mjs" "$@"
