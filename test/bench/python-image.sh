#!/usr/bin/env bash
# Build the bench's Python base image (mlp-bench/python:3.11-bookworm-slim), what training images build FROM here,
# without any registry: the cached bookworm minbase rootfs (rootfs.sh, the same tarball base-image.sh uses), then
# Debian's python3 and python3-venv installed with apt in a container on the host network, committed as the image.
# Debian bookworm's python3 is 3.11, like python:3.11-slim-bookworm. Skipped when the image's hash label is current.
set -euo pipefail
# shellcheck source=test/bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=test/bench/rootfs.sh
source "$BENCH_DIR/rootfs.sh"

IMAGE=${MLP_BENCH_PYTHON_IMAGE:-mlp-bench/python:3.11-bookworm-slim}
PACKAGES=(python3 python3-venv ca-certificates)
IMAGE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
LOG=$BENCH_CACHE/python-image.log

have docker || missing "docker CLI not installed"
docker info >/dev/null 2>&1 || missing "Docker engine not answering; run bash test/bench/docker.sh up"

MIRROR=$(bench_debian_mirror)
# Content hash over the recipe: this script, the rootfs recipe, the packages and the mirror they come from.
HASH=$({
  cat "${BASH_SOURCE[0]}" "$BENCH_DIR/rootfs.sh"
  echo "$BENCH_SUITE minbase ${PACKAGES[*]} $MIRROR"
} | sha256sum | cut -c1-16)

existing=$(docker image inspect -f '{{ index .Config.Labels "mlp.bench.hash" }}' "$IMAGE" 2>/dev/null || true)
if [[ $existing == "$HASH" ]]; then
  echo "python image: $IMAGE is current (hash $HASH, python $(docker image inspect -f '{{ index .Config.Labels "mlp.bench.python" }}' "$IMAGE"))"
  exit 0
fi

bench_minbase_rootfs "python image"

staging=mlp-bench/staging:python-$HASH
container=mlp-bench-python-image-$$
trap 'docker rm -f "$container" >/dev/null 2>&1 || true; docker image rm "$staging" >/dev/null 2>&1 || true' EXIT
echo "python image: importing the $BENCH_SUITE rootfs, then apt-get install ${PACKAGES[*]} (log $LOG)"
docker import --change "ENV PATH=$IMAGE_PATH" "$BENCH_ROOTFS_TAR" "$staging" >/dev/null
# The host's proxy settings, if it has any, by name only (docker -e NAME takes the value from this environment).
proxy_env=()
for name in http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY; do
  [[ -n ${!name:-} ]] && proxy_env+=(-e "$name")
done
# shellcheck disable=SC2016 # expanded by the container's shell
docker run --name "$container" --network host "${proxy_env[@]}" "$staging" sh -euc '
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  apt-get clean
  rm -rf /var/lib/apt/lists/* /usr/share/doc/* /usr/share/man/* /var/log/*
  python3 --version
' sh "${PACKAGES[@]}" >"$LOG" 2>&1 || die "apt-get install in the rootfs failed; see $LOG"
python_version=$(tail -n1 "$LOG")
[[ $python_version == Python\ 3.* ]] || die "python3 --version printed '$python_version'; see $LOG"
python_version=${python_version#Python }

docker commit \
  --change "ENV PATH=$IMAGE_PATH" \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["python3"]' \
  --change "LABEL mlp.bench.hash=$HASH" \
  --change "LABEL mlp.bench.python=$python_version" \
  "$container" "$IMAGE" >/dev/null
# What the training image does first: a virtualenv with pip (ensurepip, offline), as a non-root user.
docker run --rm --network none --user 10001:10001 "$IMAGE" sh -ec 'python3 -m venv /tmp/venv && /tmp/venv/bin/pip --version' >>"$LOG" 2>&1 ||
  die "$IMAGE was built but 'python3 -m venv' fails inside it; see $LOG"
echo "python image: built $IMAGE (python $python_version, hash $HASH)"
