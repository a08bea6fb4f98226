# mlp's training image, for `training.remote.enabled` (a Kubernetes Job runs it).
#
# Built by `mlp build` from the training workdir (.mlp, .git, virtualenvs and caches left out), plus mlp's runner in
# .mlp-train/ (a name the workdir's own files never take). Layers go from what changes least to what changes most:
# the runner's virtualenv, then the requirements (cached until requirements.txt changes), then the code.
# A proxy's CA certificate enters only as the BuildKit secret `ca` (build.caFile), never as a build arg.
#
# The Job gives the training command as the container's args, e.g. ["python", "train.py", "--out", "$(MLP_OUTPUT_DIR)"];
# the ENTRYPOINT runner (templates/docker/train-runtime/mlp_train_job.py) runs it and uploads MLP_OUTPUT_DIR to
# MLP_ARTIFACTS_URI. It runs as UID 10001 on a read-only root filesystem: /tmp and MLP_OUTPUT_DIR are volumes.

ARG BASE_IMAGE=python:3.11-slim-bookworm

FROM ${BASE_IMAGE}
ARG REQUIREMENTS=requirements.txt
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/mlp/venv \
    PATH=/opt/mlp/venv/bin:$PATH \
    MLP_OUTPUT_DIR=/opt/mlp/output
# The runner's own virtualenv (boto3, pinned), apart from the user's and not on PATH; pip itself is removed again.
COPY .mlp-train/requirements.txt /opt/mlp/runner-requirements.txt
RUN --mount=type=secret,id=ca \
    --mount=type=cache,target=/root/.cache/pip,id=mlp-pip-cache \
    set -eu; \
    if [ -s /run/secrets/ca ]; then export PIP_CERT=/run/secrets/ca; fi; \
    python3 -m venv /opt/mlp/runner; \
    /opt/mlp/runner/bin/pip install --only-binary=:all: --requirement /opt/mlp/runner-requirements.txt; \
    /opt/mlp/runner/bin/pip uninstall --yes --quiet pip setuptools
COPY .mlp-train/mlp_train_job.py /opt/mlp/runner/mlp_train_job.py
RUN python3 -m venv /opt/mlp/venv
COPY ${REQUIREMENTS} /opt/mlp/requirements.txt
RUN --mount=type=secret,id=ca \
    --mount=type=cache,target=/root/.cache/pip,id=mlp-pip-cache \
    set -eu; \
    if [ -s /run/secrets/ca ]; then export PIP_CERT=/run/secrets/ca; fi; \
    pip install --requirement /opt/mlp/requirements.txt
WORKDIR /opt/mlp/train
COPY . .
# The runner and the Dockerfile came along with `COPY . .`; they are not the user's code.
RUN rm -rf /opt/mlp/train/.mlp-train /opt/mlp/train/Dockerfile && \
    mkdir -p /opt/mlp/output && chown 10001:10001 /opt/mlp/output
USER 10001:10001
# -I: the user's PYTHONPATH, PYTHONHOME and the like are for the training command, not for the runner.
ENTRYPOINT ["/opt/mlp/runner/bin/python", "-I", "/opt/mlp/runner/mlp_train_job.py"]
ARG SOURCE_URL=""
ARG REVISION=""
ARG MLP_CONTENT_HASH=""
LABEL org.opencontainers.image.title="mlp training" \
      org.opencontainers.image.source="${SOURCE_URL}" \
      org.opencontainers.image.revision="${REVISION}" \
      dev.mlp.content-hash="${MLP_CONTENT_HASH}"
