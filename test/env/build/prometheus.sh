#!/usr/bin/env bash
# Builds the Prometheus server from the Go module proxy, once, into
#   ${MLO_CACHE_DIR:-~/.cache/milvus-load-operator}/prometheus/<module-version>/prometheus
# and prints that path. For the PromQL usage source's integration test
# (test/integration/usage-prometheus.test.ts): a real Prometheus scraping the
# simulator's /metrics, never a mock of its HTTP API.
# Idempotent, one build at a time (flock), atomic (built aside, moved into
# place). MLO_PROMETHEUS_VERSION overrides the pinned module version
# (github.com/prometheus/prometheus v0.<minor><patch>.x is Prometheus 3.x).
# Built without the `builtinassets` tag (the web UI is absent, the HTTP API,
# all the test uses, is complete) and with `remove_all_sd`: no service
# discovery but static_configs, which drops the Kubernetes, cloud and Consul
# clients, most of the compile time.
set -euo pipefail

PROM_VERSION="${MLO_PROMETHEUS_VERSION:-v0.316.0}"
CACHE="${MLO_CACHE_DIR:-$HOME/.cache/milvus-load-operator}"
DEST="$CACHE/prometheus/$PROM_VERSION"
BIN="$DEST/prometheus"

if [ -x "$BIN" ]; then echo "$BIN"; exit 0; fi
# Go is often installed off PATH (/usr/local/go); look there too.
command -v go >/dev/null || { [ -x /usr/local/go/bin/go ] && export PATH="/usr/local/go/bin:$PATH"; } || true
command -v go >/dev/null || { echo "prometheus: Go is needed to build Prometheus $PROM_VERSION from the Go module proxy (install Go, or set MLO_PROMETHEUS to an existing prometheus binary)" >&2; exit 2; }
command -v flock >/dev/null || { echo "prometheus: flock (util-linux) is needed" >&2; exit 2; }

mkdir -p "$CACHE/prometheus"
exec 9>"$CACHE/prometheus/.lock"
if ! flock -n 9; then
  echo "prometheus: another process is building Prometheus; waiting for it ($CACHE/prometheus/.lock)" >&2
  flock 9
fi
if [ -x "$BIN" ]; then echo "$BIN"; exit 0; fi

start=$(date +%s)
# shellcheck source=test/env/build/progress.sh
source "$(dirname "${BASH_SOURCE[0]}")/progress.sh"
progress_start prometheus
echo "prometheus: first use on this machine: building Prometheus $PROM_VERSION from the Go module proxy into $DEST (several minutes on 2 cores, once)" >&2
WORK="$(mktemp -d "$CACHE/prometheus/.build.XXXXXX")"
trap 'progress_break; rm -rf "$WORK"' EXIT
export GOTOOLCHAIN=local CGO_ENABLED=0 GOBIN="$WORK/out"
# As in kube-assets.sh: Go's build cache is worthless once the binary exists.
export GOCACHE="$WORK/go-build"

# The module first, so a wrong version or an old Go fails in seconds.
progress_while "downloading github.com/prometheus/prometheus@$PROM_VERSION and its dependencies" "$WORK/download.log" \
  sh -c "cd '$WORK' && go mod download -json 'github.com/prometheus/prometheus@$PROM_VERSION'" ||
  { tail -20 "$WORK/download.log" >&2; echo "prometheus: cannot download github.com/prometheus/prometheus@$PROM_VERSION" >&2; exit 1; }

# `go install pkg@version` honours the module's own go.mod (it has no replace
# directives). -x lists each compile step: counted for the progress line.
n=0
go install -p 2 -x -trimpath -tags remove_all_sd -ldflags "-s -w" "github.com/prometheus/prometheus/cmd/prometheus@$PROM_VERSION" 2>&1 >/dev/null |
  while IFS= read -r line; do
    case "$line" in
      *'/compile '*) n=$((n + 1)); progress_due && progress_show "compiling ($n packages so far)" ;;
    esac
    printf '%s\n' "$line" >>"$WORK/build.log"
  done || true # a failed build is reported just below, with its log
[ -x "$WORK/out/prometheus" ] || { progress_break; tail -30 "$WORK/build.log" >&2; echo "prometheus: the build failed; the end of its log is above" >&2; exit 1; }
progress_break
"$WORK/out/prometheus" --version >"$WORK/version.txt" 2>&1 || { cat "$WORK/version.txt" >&2; echo "prometheus: the new build does not run" >&2; exit 1; }
rm -rf "$DEST"
mkdir -p "$(dirname "$DEST")"
mv "$WORK/out" "$DEST"
echo "prometheus: built in $(( $(date +%s) - start ))s" >&2
echo "$BIN"
