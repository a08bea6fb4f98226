# mlp's training image, for `training.remote.enabled` (a Kubernetes Job runs it).
#
# Built by `mlp build` from the training workdir (.mlp, .git, virtualenvs and caches left out). The requirements
# layer comes first and is cached until requirements.txt changes; the code comes last.
# A proxy's CA certificate enters only as the BuildKit secret `ca` (build.caFile), never as a build arg.

ARG BASE_IMAGE=python:3.11-slim-bookworm

FROM ${BASE_IMAGE}
ARG REQUIREMENTS=requirements.txt
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/mlp/venv \
    PATH=/opt/mlp/venv/bin:$PATH \
    MLP_OUTPUT_DIR=/opt/mlp/output
RUN python3 -m venv /opt/mlp/venv
COPY ${REQUIREMENTS} /opt/mlp/requirements.txt
RUN --mount=type=secret,id=ca \
    --mount=type=cache,target=/root/.cache/pip,id=mlp-pip-cache \
    set -eu; \
    if [ -s /run/secrets/ca ]; then export PIP_CERT=/run/secrets/ca; fi; \
    pip install --requirement /opt/mlp/requirements.txt
WORKDIR /opt/mlp/train
COPY . .
RUN mkdir -p /opt/mlp/output && chown 10001:10001 /opt/mlp/output
USER 10001:10001
ARG SOURCE_URL=""
ARG REVISION=""
ARG MLP_CONTENT_HASH=""
LABEL org.opencontainers.image.title="mlp training" \
      org.opencontainers.image.source="${SOURCE_URL}" \
      org.opencontainers.image.revision="${REVISION}" \
      dev.mlp.content-hash="${MLP_CONTENT_HASH}"
