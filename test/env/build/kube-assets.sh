#!/usr/bin/env bash
# Builds kube-apiserver, kubectl and etcd from the Go module proxy, once, into
#   ${MLO_CACHE_DIR:-~/.cache/milvus-load-operator}/kube/<k8s-version>/bin/
# and prints that directory. Idempotent, safe to run concurrently (flock), and
# atomic (a half-built directory is never visible).
#
# k8s.io/kubernetes is not meant to be a dependency: its go.mod points every
# k8s.io/<staging> module at ./staging/... . Our throwaway module requires it
# and replaces each staging module with its published v0.<minor>.<patch>
# release, which is the same code. etcd's server module is built the same way.
set -euo pipefail

K8S_VERSION="${MLO_K8S_VERSION:-v1.36.3}"
ETCD_VERSION="${MLO_ETCD_VERSION:-v3.6.16}"
CACHE="${MLO_CACHE_DIR:-$HOME/.cache/milvus-load-operator}"
DEST="$CACHE/kube/$K8S_VERSION"
STAMP="$DEST/.complete-etcd-$ETCD_VERSION"

if [ -f "$STAMP" ]; then echo "$DEST/bin"; exit 0; fi
# Go is often installed off PATH (/usr/local/go); look there too.
command -v go >/dev/null || { [ -x /usr/local/go/bin/go ] && export PATH="/usr/local/go/bin:$PATH"; } || true
command -v go >/dev/null || { echo "kube-assets: Go is needed to build kube-apiserver/etcd/kubectl (or set KUBEBUILDER_ASSETS / TEST_ASSET_* to existing binaries)" >&2; exit 2; }

mkdir -p "$CACHE/kube"
exec 9>"$CACHE/kube/.lock"
flock 9
if [ -f "$STAMP" ]; then echo "$DEST/bin"; exit 0; fi

start=$(date +%s)
echo "kube-assets: building kube-apiserver, kubectl $K8S_VERSION and etcd $ETCD_VERSION from the Go module proxy (first run only; ~10-20 min on 2 cores)" >&2
WORK="$(mktemp -d "$CACHE/kube/.build.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0
export GOCACHE="${GOCACHE:-$CACHE/go-build}"

# --- kube-apiserver + kubectl -------------------------------------------
minor="${K8S_VERSION#v1.}"; staging="v0.${minor}"
gomod_json="$(cd "$WORK" && go mod download -json "k8s.io/kubernetes@$K8S_VERSION")"
kmod="$(printf '%s' "$gomod_json" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')"
[ -f "$kmod" ] || { echo "kube-assets: could not download k8s.io/kubernetes@$K8S_VERSION" >&2; exit 1; }
mkdir -p "$WORK/k8s" && cd "$WORK/k8s"
{
  echo "module mlo.local/kubebuild"
  echo "go 1.26"
  echo "require k8s.io/kubernetes $K8S_VERSION"
  echo "replace ("
  grep -E '^\s*k8s\.io/[a-z0-9-]+ => \./staging/' "$kmod" | awk -v v="$staging" '{print "\t" $1 " => " $1 " " v}'
  echo ")"
} > go.mod
cat > tools.go <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
go mod tidy >/dev/null 2>"$WORK/tidy.log" || { tail -20 "$WORK/tidy.log" >&2; exit 1; }
gitminor="${minor%%.*}"
ldflags="-s -w \
 -X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$gitminor \
 -X k8s.io/component-base/version.gitTreeState=clean -X k8s.io/component-base/version.buildDate=1970-01-01T00:00:00Z \
 -X k8s.io/client-go/pkg/version.gitVersion=$K8S_VERSION -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=$gitminor"
mkdir -p "$WORK/out/bin"
go build -p 2 -trimpath -ldflags "$ldflags" -o "$WORK/out/bin/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
go build -p 2 -trimpath -ldflags "$ldflags" -o "$WORK/out/bin/kubectl" k8s.io/kubernetes/cmd/kubectl

# --- etcd -----------------------------------------------------------------
emod_json="$(cd "$WORK" && go mod download -json "go.etcd.io/etcd/server/v3@$ETCD_VERSION")"
emod="$(printf '%s' "$emod_json" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')"
mkdir -p "$WORK/etcd" && cd "$WORK/etcd"
{
  echo "module mlo.local/etcdbuild"
  echo "go 1.26"
  echo "require go.etcd.io/etcd/server/v3 $ETCD_VERSION"
  echo "replace ("
  grep -E '^\s*go\.etcd\.io/etcd/[a-z0-9/]+ => \.\./' "$emod" | awk -v v="$ETCD_VERSION" '{print "\t" $1 " => " $1 " " v}' | sort -u
  echo ")"
} > go.mod
cat > main.go <<'GO'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
go mod tidy >/dev/null 2>"$WORK/tidy-etcd.log" || { tail -20 "$WORK/tidy-etcd.log" >&2; exit 1; }
go build -p 2 -trimpath -ldflags "-s -w" -o "$WORK/out/bin/etcd" .

"$WORK/out/bin/kube-apiserver" --version >&2
"$WORK/out/bin/etcd" --version | head -1 >&2
rm -rf "$DEST"
mv "$WORK/out" "$DEST"
touch "$STAMP"
echo "kube-assets: built in $(( $(date +%s) - start ))s" >&2
echo "$DEST/bin"
