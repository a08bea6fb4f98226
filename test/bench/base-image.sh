#!/usr/bin/env bash
# Build the bench's Node base image (mlp-bench/node:20-bookworm-slim) without any registry:
# debootstrap a minbase bookworm rootfs once (cached tarball), add the host's Node + npm, docker import.
set -euo pipefail
# shellcheck source=test/bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=test/bench/rootfs.sh
source "$BENCH_DIR/rootfs.sh"

NODE_BIN=${MLP_BENCH_NODE_BIN:-/usr/bin/node}
NPM_DIR=${MLP_BENCH_NPM_DIR:-/usr/lib/node_modules/npm}
IMAGE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

have docker || missing "docker CLI not installed"
docker info >/dev/null 2>&1 || missing "Docker engine not answering; run bash test/bench/docker.sh up"
[[ -x $NODE_BIN ]] || missing "no Node binary at $NODE_BIN"
[[ -f $NPM_DIR/bin/npm-cli.js ]] || missing "no npm at $NPM_DIR"

MIRROR=$(bench_debian_mirror)
NODE_VERSION=$("$NODE_BIN" --version)
NPM_VERSION=$("$NODE_BIN" -p "require('$NPM_DIR/package.json').version")
# Content hash over every input of the image: this script, the rootfs recipe, the Node binary, npm's version.
HASH=$({
  cat "${BASH_SOURCE[0]}" "$BENCH_DIR/rootfs.sh"
  echo "$BENCH_SUITE minbase ca-certificates $MIRROR $NPM_VERSION"
  sha256sum "$NODE_BIN"
} | sha256sum | cut -c1-16)

existing=$(docker image inspect -f '{{ index .Config.Labels "mlp.bench.hash" }}' "$BENCH_BASE_IMAGE" 2>/dev/null || true)
if [[ $existing == "$HASH" ]]; then
  echo "base image: $BENCH_BASE_IMAGE is current (hash $HASH, node $NODE_VERSION)"
  exit 0
fi

bench_minbase_rootfs "base image"

stage=$(mktemp -d "$BENCH_CACHE/stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
echo "base image: importing $BENCH_BASE_IMAGE (node $NODE_VERSION, npm $NPM_VERSION, hash $HASH)"
tar --numeric-owner -C "$stage" -xf "$BENCH_ROOTFS_TAR"
install -m 0755 "$NODE_BIN" "$stage/usr/bin/node"
mkdir -p "$stage/usr/lib/node_modules" "$stage/usr/local/bin"
rm -rf "$stage/usr/lib/node_modules/npm"
cp -a "$NPM_DIR" "$stage/usr/lib/node_modules/npm"
for tool in npm npx; do
  printf '#!/bin/sh\nexec /usr/bin/node /usr/lib/node_modules/npm/bin/%s-cli.js "$@"\n' "$tool" >"$stage/usr/local/bin/$tool"
  chmod 0755 "$stage/usr/local/bin/$tool"
done
tar --numeric-owner -C "$stage" -cf - . |
  docker import \
    --change "ENV PATH=$IMAGE_PATH" \
    --change 'CMD ["node"]' \
    --change "LABEL mlp.bench.hash=$HASH" \
    --change "LABEL mlp.bench.node=$NODE_VERSION" \
    - "$BENCH_BASE_IMAGE" >/dev/null
docker run --rm --network none "$BENCH_BASE_IMAGE" node --version >/dev/null ||
  die "$BENCH_BASE_IMAGE was imported but 'node --version' fails inside it"
echo "base image: built $BENCH_BASE_IMAGE"
