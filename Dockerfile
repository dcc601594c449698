# syntax=docker/dockerfile:1
#
# milvus-load-operator image: `node dist/src/main.js run`, as UID 65532, on a
# read-only root filesystem.
#
# Size estimate (linux/amd64), about 290 MB unpacked, about 90 MB to pull:
#   base node:24-bookworm-slim  ~225 MB unpacked, ~75 MB compressed (published
#                               size of the node:*-slim line; not measured here)
#   this image's layers         63 MiB in 5,824 files (du 85 MiB), 12.4 MiB as a
#                               gzipped tar: node_modules (production), dist/,
#                               crds/, package.json
# The second figure is measured by test/deploy/image.test.ts.
#
# Build:  docker build -t milvus-load-operator:0.1.0 .
# Check without a Docker engine (what test/deploy/image.test.ts does):
#         scripts/check-image.sh
#
# Base images are named without a registry host, so the builder's configured
# registry or mirror resolves them. Pin a digest for reproducible builds:
#   docker build --build-arg NODE_IMAGE=node:24-bookworm-slim@sha256:<digest> .
ARG NODE_IMAGE=node:24-bookworm-slim

# --- build: full dependency tree, TypeScript compiled to dist/ ---------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: no dependency needs an install script to work (protobufjs'
# postinstall only checks its CLI's versions), and none gets to run in the build.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# --- deps: production dependencies only ---------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Type declarations and source maps of dependencies are never read at run time
# and are about 45% of node_modules' bytes.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && find node_modules -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' \) -delete

# --- runtime -----------------------------------------------------------------
FROM ${NODE_IMAGE}
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="milvus-load-operator" \
      org.opencontainers.image.description="Kubernetes operator that keeps Milvus collections loaded or released as CollectionLoadPolicy resources declare." \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.base.name="${NODE_IMAGE}"
# NODE_ENV: libraries pick their production paths. HOME: UID 65532 has no
# passwd entry; anything that asks for a home directory gets /tmp, which the
# Deployment mounts as an emptyDir (the root filesystem is read-only).
ENV NODE_ENV=production \
    HOME=/tmp
WORKDIR /app
# Files stay owned by root and are not writable by the runtime user: the app
# cannot modify itself even where the root filesystem is writable.
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
COPY crds ./crds
# Numeric, so that Kubernetes' runAsNonRoot can verify it without /etc/passwd.
USER 65532:65532
# 8080: /metrics; 8081: /healthz and /readyz.
EXPOSE 8080 8081
# Node tuned for memory at little cost in speed (docs/performance.md,
# bench/notes.md), measured with the bench on the same build:
# - a 1 MiB young generation (the default grows to 16 MiB semi-spaces and
#   stays): peak RSS of a 1,000-policy cold start 291 -> ~175 MiB;
# - the old generation grown by 15% per GC instead of V8's adaptive factor
#   (up to 4x): 10,000 policies peak 713 -> 307 MiB;
# - glibc's malloc limited to 2 arenas (V8's and libuv's threads otherwise
#   each keep one): 10 policies 142 -> 134 MiB;
# - no Maglev, V8's middle compiler tier: its background queue has no bound,
#   and while the first pass keeps the cores busy ~200 of its jobs wait at
#   once, 24 MB of compiler memory in all (--trace-zone-stats), which glibc
#   then keeps for the life of the process. TurboFan's queue holds 8 jobs.
#   1,000-policy cold start peak 165 -> 140 MiB, about 1 s slower.
# --optimize-for-size saves a further ~10 MiB at 10 policies but doubles the
# CPU of every pass (apply -> first load, 1,000 policies: p50 46 -> 59 ms,
# whole passes 0.8 -> 1.5 s). The bench runs the operator with exactly these
# flags and this environment (bench/build.ts reads them from here).
ENV MALLOC_ARENA_MAX=2
ENTRYPOINT ["node", "--max-semi-space-size=1", "--heap-growing-percent=15", "--no-maglev", "dist/src/main.js"]
CMD ["run"]
