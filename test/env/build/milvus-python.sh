#!/usr/bin/env bash
# Makes the Python virtualenvs that hold the real Milvus servers the tests
# start, once, under ${MLO_CACHE_DIR:-~/.cache/milvus-load-operator}:
#   milvus-lite-<ver>/        PyPI milvus-lite + pymilvus: `bin/milvus-lite server`
#   milvus-standalone-<ver>/  PyPI milvus: the Go Milvus server with embedded
#                             etcd, unpacked once into server/bin/milvus so
#                             test/env/milvus.ts can run it with its own ports.
# Usage: milvus-python.sh [lite|standalone|all]   (default all)
# Prints, on stdout, the virtualenv directory of each kind asked for (one a
# line); progress and entry points go to stderr (MLO_QUIET=1: only a build
# says anything). Idempotent, one build at a time (flock), atomic (built
# aside, moved into place, marked complete last).
set -euo pipefail

WHAT="${1:-all}"
CACHE="${MLO_CACHE_DIR:-$HOME/.cache/milvus-load-operator}"
LITE_VERSION="${MLO_MILVUS_LITE_VERSION:-3.2.2}"
# The design names 2.3.9, but PyPI's milvus 2.3.9 (and 2.3.8) ship a macOS
# arm64 wheel only; 2.3.5 is the newest with a Linux x86_64 wheel.
STANDALONE_VERSION="${MLO_MILVUS_STANDALONE_VERSION:-2.3.5}"
# Bump when what a venv holds changes: older caches are rebuilt.
RECIPE=2

PY="${MLO_PYTHON:-}"
if [ -z "$PY" ]; then
  for candidate in python3 /usr/bin/python3 /usr/local/bin/python3; do
    if command -v "$candidate" >/dev/null 2>&1; then PY="$candidate"; break; fi
  done
fi

# shellcheck source=test/env/build/progress.sh
source "$(dirname "${BASH_SOURCE[0]}")/progress.sh"
progress_start milvus-python

say() { progress_break; echo "milvus-python: $*" >&2; }

# Reads pip's output on stdin into LOG and shows what it is doing: packages
# found so far and megabytes downloaded, then the install. pip's own errors
# are passed through.
pip_progress() { # KIND LOG
  local kind="$1" log="$2" line rc found=0 kb=0 now="" phase=""
  while :; do
    if IFS= read -r -t 1 line; then
      printf '%s\n' "$line" >>"$log"
      case "$line" in
        Collecting\ *) found=$((found + 1)); now="${line#Collecting }"; now="${now%%[<>=!~;[ (]*}" ;;
        *Downloading\ *)
          # "Downloading pyarrow-26.0.1-...whl (42.5 MB)": add up the sizes, in kB.
          if [[ "$line" =~ \(([0-9]+)(\.([0-9]))?[0-9]*\ (kB|MB|GB)\) ]]; then
            case "${BASH_REMATCH[4]}" in
              kB) kb=$((kb + BASH_REMATCH[1])) ;;
              MB) kb=$((kb + BASH_REMATCH[1] * 1000 + ${BASH_REMATCH[3]:-0} * 100)) ;;
              GB) kb=$((kb + BASH_REMATCH[1] * 1000000 + ${BASH_REMATCH[3]:-0} * 100000)) ;;
            esac
          fi ;;
        Installing\ collected\ packages:*) phase="installing $(($(printf '%s' "${line#*:}" | tr -cd , | wc -c) + 1)) packages" ;;
        ERROR:* | error:*) progress_break; printf '%s\n' "$line" >&2 ;;
      esac
    else
      rc=$?
      [ "$rc" -gt 128 ] || break # > 128: a timeout, only to refresh the line
    fi
    if progress_due; then
      if [ -n "$phase" ]; then progress_show now "Milvus $kind: $phase"
      else progress_show now "Milvus $kind: $found packages found, $((kb / 1000)) MB downloaded${now:+ (now $now)}"
      fi
    fi
  done
}

# Versions known to work together (milvus-lite imports pymilvus's generated
# protocol code without declaring it, so pymilvus is pinned here too). Used
# as pip constraints for both venvs: they only bind what gets installed.
lite_constraints() {
  cat <<'EOF'
pymilvus==3.0.2
grpcio==1.85.1
protobuf==7.36.2
numpy==2.4.6
faiss-cpu==1.15.1
pyarrow==26.0.1
pandas==3.1.1
orjson==3.13.0
python-dotenv==1.2.4
cachetools==8.0.1
EOF
}

python_ok() {
  [ -n "$PY" ] && "$PY" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 10) else 1)' >/dev/null 2>&1
}

# Shared libraries a binary cannot find, as Debian package names when known.
missing_libs() {
  local bin="$1" libdir="$2"
  LD_LIBRARY_PATH="$libdir" ldd "$bin" 2>/dev/null | awk '/not found/ {print $1}' | sort -u
}

install_missing_libs() {
  local bin="$1" libdir="$2" missing pkgs=()
  missing="$(missing_libs "$bin" "$libdir")"
  [ -z "$missing" ] && return 0
  for lib in $missing; do
    case "$lib" in
      libgomp*) pkgs+=(libgomp1) ;;
      libopenblas*) pkgs+=(libopenblas0) ;;
      libtbb*) pkgs+=(libtbb12) ;;
      libgfortran*) pkgs+=(libgfortran5) ;;
      libatomic*) pkgs+=(libatomic1) ;;
      libaio*) pkgs+=(libaio1) ;;
      *) say "$bin needs $lib, which no known Debian package provides here"; return 1 ;;
    esac
  done
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing ${pkgs[*]} (needed by $(basename "$bin"))"
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >&2
    missing="$(missing_libs "$bin" "$libdir")"
    [ -z "$missing" ] || { say "$(basename "$bin") still cannot find: $missing"; return 1; }
  else
    say "$(basename "$bin") needs: $missing. Install: apt-get install ${pkgs[*]}"
    return 1
  fi
}

build() {
  local kind="$1" dest="$2"; shift 2
  if [ "$(cat "$dest/.complete" 2>/dev/null)" = "$RECIPE" ]; then return 0; fi
  if ! python_ok; then
    say "Python 3.10+ with venv is needed for Milvus $kind (set MLO_PYTHON, or apt-get install python3-venv)"
    exit 2
  fi
  mkdir -p "$CACHE"
  exec 9>"$CACHE/.milvus-$kind.lock"
  flock 9
  if [ "$(cat "$dest/.complete" 2>/dev/null)" = "$RECIPE" ]; then exec 9>&-; return 0; fi

  local start tmp
  start=$(date +%s)
  say "building the Milvus $kind virtualenv in $dest (first run only; needs the Python package registry)"
  tmp="$(mktemp -d "$CACHE/.build-$kind.XXXXXX")"
  chmod 755 "$tmp"
  BUILD_TMP="$tmp"
  trap 'progress_break; rm -rf "$BUILD_TMP"' EXIT
  progress_while "Milvus $kind: creating the virtualenv" "$tmp.venv.log" "$PY" -m venv "$tmp" ||
    { say "$PY -m venv failed:"; cat "$tmp.venv.log" >&2; rm -f "$tmp.venv.log"; exit 1; }
  rm -f "$tmp.venv.log"
  lite_constraints >"$tmp/constraints.txt"
  # The pipeline is a subshell that leaves the progress line open.
  PROGRESS_OPEN=$PROGRESS_TTY
  if ! PYTHONUNBUFFERED=1 "$tmp/bin/pip" install --progress-bar off --disable-pip-version-check -c "$tmp/constraints.txt" "$@" 2>&1 | pip_progress "$kind" "$tmp/pip.log"; then
    say "pip's last lines:"
    tail -15 "$tmp/pip.log" >&2
    say "pip could not install $* here: no wheel for this platform (milvus 2.3.8/2.3.9 are macOS arm64 only), or the package registry is out of reach"
    exit 1
  fi
  # A venv records its own path in its scripts: point them at the final place.
  grep -rlI "$tmp" "$tmp/bin" | xargs -r sed -i "s#$tmp#$dest#g"
  if [ "$kind" = standalone ]; then
    # The package's launcher unpacks ~250 MB of binaries into every data
    # directory on every start; do it once here, with its own code.
    cat >"$tmp/unpack.py" <<'EOF'
import os, shutil, sys
import milvus
base = sys.argv[1]
milvus._initialize_data_files(base)
data = os.path.join(os.path.dirname(milvus.__file__), 'data')
for f in ('config.yaml.template', 'glog.conf'):
    shutil.copy(os.path.join(data, f), os.path.join(base, f))
EOF
    progress_while "Milvus standalone: unpacking the server binaries" "$tmp/unpack.log" "$tmp/bin/python" "$tmp/unpack.py" "$tmp/server" ||
      { say "could not unpack the Milvus standalone binaries:"; tail -15 "$tmp/unpack.log" >&2; exit 1; }
    rm -f "$tmp"/server/bin/*.lzma.md5
    install_missing_libs "$tmp/server/bin/milvus" "$tmp/server/bin"
  else
    "$tmp/bin/python" -c 'import faiss, pyarrow, milvus_lite.adapter.grpc.servicer' >&2
  fi
  rm -rf "$dest"
  mv "$tmp" "$dest"
  trap - EXIT
  echo "$RECIPE" >"$dest/.complete"
  exec 9>&-
  progress_break
  say "Milvus $kind ready in $(($(date +%s) - start)) s"
}

lite() {
  local dest="$CACHE/milvus-lite-$LITE_VERSION"
  build lite "$dest" "milvus-lite==$LITE_VERSION" pymilvus
  [ -n "${MLO_QUIET:-}" ] || say "Milvus Lite $LITE_VERSION: $dest/bin/milvus-lite server --data-dir DIR --host 127.0.0.1 --port PORT"
  echo "$dest"
}

standalone() {
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) ;;
    *) say "Milvus standalone from PyPI runs on Linux x86_64 only (this is $(uname -s)-$(uname -m))"; exit 3 ;;
  esac
  local dest="$CACHE/milvus-standalone-$STANDALONE_VERSION"
  build standalone "$dest" "milvus==$STANDALONE_VERSION" "setuptools<81"
  [ -n "${MLO_QUIET:-}" ] || say "Milvus standalone $STANDALONE_VERSION: $dest/server/bin/milvus run standalone (MILVUSCONF=DIR with milvus.yaml from $dest/server/config.yaml.template, LD_LIBRARY_PATH=$dest/server/bin); the package's own launcher: $dest/bin/milvus-server --data DIR"
  echo "$dest"
}

case "$WHAT" in
  lite) lite ;;
  standalone) standalone ;;
  all) lite; standalone ;;
  *) echo "usage: $0 [lite|standalone|all]" >&2; exit 2 ;;
esac
