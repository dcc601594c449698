#!/usr/bin/env bash
# Builds `kstatus`, a tiny program around sigs.k8s.io/cli-utils'
# pkg/kstatus/status.Compute (the rules Flux's `wait: true`, kpt and
# `kubectl apply --prune`-style waits use), once, into
#   ${MLO_CACHE_DIR:-~/.cache/milvus-load-operator}/kstatus/<cli-utils-version>/kstatus
# and prints that path. The program reads one Kubernetes object as JSON on
# stdin and prints {"status": "...", "message": "..."} (status is Current,
# InProgress, Failed, Terminating, NotFound or Unknown).
# Idempotent, one build at a time (flock), atomic (built aside, moved into
# place). MLO_CLI_UTILS_VERSION overrides the pinned version.
set -euo pipefail

CLI_UTILS_VERSION="${MLO_CLI_UTILS_VERSION:-v0.37.2}"
CACHE="${MLO_CACHE_DIR:-$HOME/.cache/milvus-load-operator}"
DEST="$CACHE/kstatus/$CLI_UTILS_VERSION"
BIN="$DEST/kstatus"

if [ -x "$BIN" ]; then echo "$BIN"; exit 0; fi
# Go is often installed off PATH (/usr/local/go); look there too.
command -v go >/dev/null || { [ -x /usr/local/go/bin/go ] && export PATH="/usr/local/go/bin:$PATH"; } || true
command -v go >/dev/null || { echo "kstatus: Go is needed to build the kstatus checker from sigs.k8s.io/cli-utils $CLI_UTILS_VERSION (install Go, or set MLO_KSTATUS to an existing build)" >&2; exit 2; }
command -v flock >/dev/null || { echo "kstatus: flock (util-linux) is needed" >&2; exit 2; }

mkdir -p "$CACHE/kstatus"
exec 9>"$CACHE/kstatus/.lock"
if ! flock -n 9; then
  echo "kstatus: another process is building the kstatus checker; waiting for it ($CACHE/kstatus/.lock)" >&2
  flock 9
fi
if [ -x "$BIN" ]; then echo "$BIN"; exit 0; fi

start=$(date +%s)
echo "kstatus: first use on this machine: building the kstatus checker from sigs.k8s.io/cli-utils $CLI_UTILS_VERSION (Go module proxy) into $DEST (1-4 min on 2 cores, once)" >&2
WORK="$(mktemp -d "$CACHE/kstatus/.build.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0
# As in kube-assets.sh: Go's build cache is worthless once the binary exists.
export GOCACHE="$WORK/go-build"

mkdir -p "$WORK/src" && cd "$WORK/src"
go mod init mlo.local/kstatus >/dev/null 2>&1
cat > main.go <<'GO'
// Prints what sigs.k8s.io/cli-utils/pkg/kstatus/status.Compute says of the
// object on stdin, as one JSON line.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

func main() {
	data, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kstatus: reading stdin:", err)
		os.Exit(2)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(data); err != nil {
		fmt.Fprintln(os.Stderr, "kstatus: stdin is not a Kubernetes object as JSON:", err)
		os.Exit(2)
	}
	res, err := status.Compute(u)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kstatus: status.Compute:", err)
		os.Exit(1)
	}
	out, _ := json.Marshal(map[string]string{"status": res.Status.String(), "message": res.Message})
	fmt.Println(string(out))
}
GO
go get "sigs.k8s.io/cli-utils@$CLI_UTILS_VERSION" >/dev/null 2>"$WORK/get.log" || { tail -20 "$WORK/get.log" >&2; exit 1; }
go mod tidy >/dev/null 2>"$WORK/tidy.log" || { tail -20 "$WORK/tidy.log" >&2; exit 1; }
mkdir -p "$WORK/out"
go build -p 2 -trimpath -ldflags "-s -w" -o "$WORK/out/kstatus" .
cp go.mod go.sum "$WORK/out/"
got="$(echo '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}}' | "$WORK/out/kstatus")"
[ "$got" = '{"message":"Resource is always ready","status":"Current"}' ] || { echo "kstatus: the new build answers '$got' for a ConfigMap; expected Current" >&2; exit 1; }
rm -rf "$DEST"
mv "$WORK/out" "$DEST"
echo "kstatus: built in $(( $(date +%s) - start ))s" >&2
echo "$BIN"
