#!/usr/bin/env bash
# Creates the Python virtualenvs that hold the real Milvus servers used by the
# tests, once, under ${MLO_CACHE_DIR:-~/.cache/milvus-load-operator}:
#   milvus-lite-<ver>/        PyPI milvus-lite (+ pymilvus): `milvus-lite server`
#   milvus-standalone-<ver>/  PyPI milvus: the full Go server with embedded etcd
# Usage: milvus-python.sh lite|standalone    (prints the venv directory)
set -euo pipefail

WHAT="${1:-lite}"
CACHE="${MLO_CACHE_DIR:-$HOME/.cache/milvus-load-operator}"
LITE_VERSION="${MLO_MILVUS_LITE_VERSION:-3.2.2}"
# 2.3.9 (named in the design) has no Linux x86_64 wheel on the registry; 2.3.5 is the newest that does.
STANDALONE_VERSION="${MLO_MILVUS_STANDALONE_VERSION:-2.3.5}"
PY="${MLO_PYTHON:-python3}"
command -v "$PY" >/dev/null || { [ -x /usr/bin/python3 ] && PY=/usr/bin/python3; } || true

case "$WHAT" in
  lite) DEST="$CACHE/milvus-lite-$LITE_VERSION"; PKGS=("milvus-lite==$LITE_VERSION" "pymilvus") ;;
  standalone) DEST="$CACHE/milvus-standalone-$STANDALONE_VERSION"; PKGS=("milvus==$STANDALONE_VERSION" "setuptools<81") ;;
  *) echo "usage: $0 lite|standalone" >&2; exit 2 ;;
esac

if [ -f "$DEST/.complete" ]; then echo "$DEST"; exit 0; fi
command -v "$PY" >/dev/null || { echo "milvus-python: Python 3.9+ is needed for Milvus $WHAT (or set MILVUS_URI to a running Milvus)" >&2; exit 2; }
mkdir -p "$CACHE"
exec 9>"$CACHE/.milvus-$WHAT.lock"
flock 9
if [ -f "$DEST/.complete" ]; then echo "$DEST"; exit 0; fi

start=$(date +%s)
echo "milvus-python: installing ${PKGS[*]} into $DEST (first run only)" >&2
TMP="$(mktemp -d "$CACHE/.venv.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
"$PY" -m venv "$TMP"
"$TMP/bin/pip" install --quiet --disable-pip-version-check "${PKGS[@]}" >&2
rm -rf "$DEST"
mv "$TMP" "$DEST"
# A venv records its own path in scripts; rewrite the shebangs and activate.
grep -rlI --exclude-dir=lib "$TMP" "$DEST/bin" | xargs -r sed -i "s#$TMP#$DEST#g"
touch "$DEST/.complete"
echo "milvus-python: $WHAT ready in $(( $(date +%s) - start ))s" >&2
echo "$DEST"
