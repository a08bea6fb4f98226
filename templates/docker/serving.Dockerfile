# mlp's serving image: the bundled inference server (server.js) and one model version.
#
# Built by `mlp build` from a context mlp assembles (.mlp/build/<service>/context):
#   server.js                      the serving app, every dependency bundled except onnxruntime-node
#   runtime/package.json, runtime/package-lock.json, runtime/.npmrc   onnxruntime-node, pinned
#   model/                         model.onnx, metadata.json, metrics.json (empty for a SageMaker proxy)
# Layers go from what changes least to what changes most, so a new model is one layer and a code change two.
# Needs BuildKit (docker buildx, or DOCKER_BUILDKIT=1 with a CLI that has it built in).
# A proxy's CA certificate enters only as the BuildKit secret `ca` (`mlp build` passes build.caFile): a build
# arg would be stored in the image's history.

ARG BASE_IMAGE=node:20-bookworm-slim

FROM ${BASE_IMAGE} AS dependencies
# Provided by BuildKit: amd64 or arm64.
ARG TARGETARCH
WORKDIR /deps
COPY runtime/package.json runtime/package-lock.json runtime/.npmrc ./
RUN --mount=type=secret,id=ca \
    --mount=type=cache,target=/root/.npm,id=mlp-npm-cache \
    set -eu; \
    if [ -s /run/secrets/ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/ca; fi; \
    # onnxruntime-node's install script would download optional CUDA libraries; mlp serves on the CPU.
    ONNXRUNTIME_NODE_INSTALL=skip npm ci --omit=dev --no-audit --no-fund --fetch-retries=2 --loglevel=warn
# onnxruntime-node ships binaries for every OS and CPU (~290 MB); keep only the target platform's (~45 MB).
RUN set -eu; \
    case "${TARGETARCH:-amd64}" in amd64) keep=x64 ;; arm64) keep=arm64 ;; *) echo "unsupported TARGETARCH ${TARGETARCH}" >&2; exit 1 ;; esac; \
    bin=node_modules/onnxruntime-node/bin; \
    for dir in "$bin"/napi-v*/*; do [ "$(basename "$dir")" = linux ] || rm -rf "$dir"; done; \
    for dir in "$bin"/napi-v*/linux/*; do [ "$(basename "$dir")" = "$keep" ] || rm -rf "$dir"; done; \
    test -n "$(ls "$bin"/napi-v*/linux/"$keep"/*.node)"

FROM ${BASE_IMAGE} AS runtime
ARG SOURCE_URL=""
ARG REVISION=""
ARG MODEL_VERSION=""
ARG MLP_CONTENT_HASH=""
ENV NODE_ENV=production \
    PORT=8080 \
    MODEL_DIR=/opt/mlp/model
WORKDIR /opt/mlp/app
COPY --from=dependencies /deps/node_modules ./node_modules
COPY server.js ./server.js
# A numeric user, so Kubernetes' runAsNonRoot can verify it without a passwd entry.
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["node", "server.js"]
# The model last: a new model version changes only this layer. (LABEL below adds no layer.)
COPY --chown=10001:10001 model/ /opt/mlp/model/
LABEL org.opencontainers.image.title="mlp serving" \
      org.opencontainers.image.source="${SOURCE_URL}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.version="${MODEL_VERSION}" \
      dev.mlp.content-hash="${MLP_CONTENT_HASH}"
