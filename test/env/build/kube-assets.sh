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
#
# Versions: the newest k8s.io/kubernetes in the module proxy that builds with
# Go 1.26, and the newest etcd 3.6. MLO_K8S_VERSION / MLO_ETCD_VERSION override.
set -euo pipefail

K8S_VERSION="${MLO_K8S_VERSION:-v1.37.2}"
ETCD_VERSION="${MLO_ETCD_VERSION:-v3.6.16}"
CACHE="${MLO_CACHE_DIR:-$HOME/.cache/milvus-load-operator}"
DEST="$CACHE/kube/$K8S_VERSION"
STAMP="$DEST/.complete-etcd-$ETCD_VERSION"

if [ -f "$STAMP" ]; then echo "$DEST/bin"; exit 0; fi
# Go is often installed off PATH (/usr/local/go); look there too.
command -v go >/dev/null || { [ -x /usr/local/go/bin/go ] && export PATH="/usr/local/go/bin:$PATH"; } || true
command -v go >/dev/null || { echo "kube-assets: Go >= 1.26 is needed to build kube-apiserver/etcd/kubectl (or set KUBEBUILDER_ASSETS / TEST_ASSET_* to existing binaries)" >&2; exit 2; }
command -v flock >/dev/null || { echo "kube-assets: flock (util-linux) is needed" >&2; exit 2; }

mkdir -p "$CACHE/kube"
exec 9>"$CACHE/kube/.lock"
if ! flock -n 9; then
  echo "kube-assets: another process is building the Kubernetes test binaries; waiting for it ($CACHE/kube/.lock)" >&2
  flock 9
fi
if [ -f "$STAMP" ]; then echo "$DEST/bin"; exit 0; fi

start=$(date +%s)
# shellcheck source=test/env/build/progress.sh
source "$(dirname "${BASH_SOURCE[0]}")/progress.sh"
progress_start kube-assets
echo "kube-assets: first use on this machine: building kube-apiserver + kubectl $K8S_VERSION and etcd $ETCD_VERSION from the Go module proxy into $DEST (6-10 min on 2 cores, once)" >&2
WORK="$(mktemp -d "$CACHE/kube/.build.XXXXXX")"
trap 'progress_break; rm -rf "$WORK"' EXIT
export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0
# Go's build cache ends up ~3 GB and is worthless once the binaries exist, so
# it lives (and dies) with the temporary build directory, never in the
# repository. The module cache stays wherever Go keeps it.
export GOCACHE="$WORK/go-build"

# Both modules' go.mod first, so a wrong version fails in seconds, not after
# a kube-apiserver build.
gomod() {
  local json
  json="$(cd "$WORK" && go mod download -json "$1")" ||
    { echo "kube-assets: cannot download $1 from the Go module proxy: $(printf '%s' "$json" | grep '"Error"')" >&2; return 1; }
  printf '%s' "$json" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p'
}
kmod="$(gomod "k8s.io/kubernetes@$K8S_VERSION")"
emod="$(gomod "go.etcd.io/etcd/server/v3@$ETCD_VERSION")"
# GOTOOLCHAIN=local: an older Go must not fetch a newer one. Say what is
# needed now, not after minutes of downloads.
have="$(go env GOVERSION)"; have="${have#go}"
needgo() {
  local need
  need="$(sed -n 's/^go \([0-9.]*\).*/\1/p' "$1")"
  [ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -1)" = "$need" ] && return 0
  echo "kube-assets: Go $have is too old: $2 needs Go >= $need (install it, or set KUBEBUILDER_ASSETS / TEST_ASSET_* to existing binaries)" >&2
  exit 2
}
needgo "$kmod" "k8s.io/kubernetes@$K8S_VERSION"
needgo "$emod" "etcd $ETCD_VERSION"

# Both throwaway modules are set up (and their dependencies downloaded)
# before anything is compiled, so the progress line can count every package
# of the whole build from the start.
# --- kube-apiserver + kubectl: module -------------------------------------
minor="${K8S_VERSION#v1.}"; staging="v0.${minor}"
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
progress_while "downloading the Kubernetes $K8S_VERSION modules" "$WORK/tidy.log" go mod tidy || { progress_break; tail -20 "$WORK/tidy.log" >&2; exit 1; }

# --- etcd: module ----------------------------------------------------------
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
progress_while "downloading the etcd $ETCD_VERSION modules" "$WORK/tidy-etcd.log" go mod tidy || { progress_break; tail -20 "$WORK/tidy-etcd.log" >&2; exit 1; }

# --- compile ---------------------------------------------------------------
# The total: every package kube-apiserver and kubectl need (the standard
# library included: GOCACHE starts empty), plus etcd's packages outside the
# standard library (by then compiled and cached). `go build -v` prints each
# package as it compiles it, which is the count.
list_packages() {
  (cd "$WORK/k8s" && go list -deps k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl >"$WORK/packages-kube.txt") &&
    (cd "$WORK/etcd" && go list -deps -f '{{if not .Standard}}{{.ImportPath}}{{end}}' . >"$WORK/packages-etcd.txt")
}
progress_while "counting the packages to compile" "$WORK/list.log" list_packages || { progress_break; tail -20 "$WORK/list.log" >&2; exit 1; }
TOTAL=$(($(grep -c . "$WORK/packages-kube.txt") + $(grep -c . "$WORK/packages-etcd.txt")))
COMPILE_T0=$SECONDS
COUNT_FILE="$WORK/compiled"
echo 0 >"$COUNT_FILE"

# Reads `go build -v` output (stdout and stderr) on stdin. A line that is an
# import path is one more package compiled; any other line (a compiler
# error) is passed through to stderr. Keeps the running count in $COUNT_FILE.
compile_progress() { # WHAT
  local what="$1" line done rc
  done="$(cat "$COUNT_FILE")"
  while :; do
    if IFS= read -r -t 1 line; then
      if [[ "$line" =~ ^[A-Za-z0-9_.~/+-]+$ ]]; then
        done=$((done + 1))
      else
        progress_break
        printf '%s\n' "$line" >&2
      fi
    else
      rc=$?
      [ "$rc" -gt 128 ] || break # > 128: a timeout, only to refresh the line
    fi
    if progress_due; then progress_show now "$(compile_text "$what" "$done")"; fi
  done
  echo "$done" >"$COUNT_FILE"
}

compile_text() { # WHAT DONE
  local done="$2" spent left
  [ "$done" -le "$TOTAL" ] || done=$TOTAL
  spent=$((SECONDS - COMPILE_T0))
  if [ "$done" -ge "$TOTAL" ]; then left="linking"
  elif [ "$done" -lt 50 ]; then left="estimating the time left"
  else
    left=$((spent * (TOTAL - done) / done))
    if [ "$left" -lt 60 ]; then left="under a minute left"; else left="about $(((left + 59) / 60)) min left"; fi
  fi
  printf '%d of %d packages compiled (%d%%, now %s), %s' "$done" "$TOTAL" $((done * 100 / TOTAL)) "$1" "$left"
}

# compile WHAT DIR go-build-args...: one `go build -v` with the progress line.
compile() {
  local what="$1" dir="$2"; shift 2
  # The line is rewritten in a subshell (the pipeline), so this shell assumes it open.
  PROGRESS_OPEN=$PROGRESS_TTY
  (cd "$dir" && go build -v "$@" 2>&1) | compile_progress "$what"
}

gitminor="${minor%%.*}"
ldflags="-s -w \
 -X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$gitminor \
 -X k8s.io/component-base/version.gitTreeState=clean -X k8s.io/component-base/version.buildDate=1970-01-01T00:00:00Z \
 -X k8s.io/client-go/pkg/version.gitVersion=$K8S_VERSION -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=$gitminor"
mkdir -p "$WORK/out/bin"
compile kube-apiserver "$WORK/k8s" -p 2 -trimpath -ldflags "$ldflags" -o "$WORK/out/bin/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
compile kubectl "$WORK/k8s" -p 2 -trimpath -ldflags "$ldflags" -o "$WORK/out/bin/kubectl" k8s.io/kubernetes/cmd/kubectl
# Packages etcd shares with Kubernetes at the same version are not compiled
# again, so the count may stop short of the total: it is a progress line.
compile etcd "$WORK/etcd" -p 2 -trimpath -ldflags "-s -w" -o "$WORK/out/bin/etcd" .
progress_show now "all $TOTAL packages compiled and linked"
progress_break

got="$("$WORK/out/bin/kube-apiserver" --version)"
[ "$got" = "Kubernetes $K8S_VERSION" ] || { echo "kube-assets: kube-apiserver reports '$got', expected $K8S_VERSION" >&2; exit 1; }
got="$("$WORK/out/bin/kubectl" version --client -o yaml | sed -n 's/^  gitVersion: //p')"
[ "$got" = "$K8S_VERSION" ] || { echo "kube-assets: kubectl reports '$got', expected $K8S_VERSION" >&2; exit 1; }
# sed, not head: head exits after one line and etcd then dies of SIGPIPE,
# which pipefail turns into a failed build (exit 141).
"$WORK/out/bin/etcd" --version | sed -n 1p >&2
rm -rf "$DEST"
mv "$WORK/out" "$DEST"
touch "$STAMP"
echo "kube-assets: built in $(( $(date +%s) - start ))s" >&2
echo "$DEST/bin"
