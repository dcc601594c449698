#!/usr/bin/env bash
# Runs a command with a Node.js >= 22.19 first on PATH, fetching Node 24 once
# if the machine's Node is older (scripts/ensure-node.sh). Every npm script in
# package.json starts with it, so `npm ci && npm run demo` works on a machine
# whose own Node is too old for the project. All but `build`: the Dockerfile
# runs it with only src/ copied in, and tsc runs on any Node.
#   scripts/with-node.sh node scripts/demo.ts --exit-after 90
# exec: the command replaces this shell, so signals and exit codes are its own.
# shellcheck source=scripts/ensure-node.sh
source "$(dirname "${BASH_SOURCE[0]}")/ensure-node.sh" || exit 1
exec "$@"
