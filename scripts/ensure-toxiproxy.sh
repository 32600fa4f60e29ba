#!/usr/bin/env bash
# Kept for callers that still run this path: the build is scripts/tasks/go-tools.mjs (prints the path).
exec node "$(dirname "$0")/tasks/go-tools.mjs" toxiproxy
