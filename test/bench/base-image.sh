#!/usr/bin/env bash
# Build the bench's Node base image (mlp-bench/node:20-bookworm-slim) without any registry:
# debootstrap a minbase bookworm rootfs once (cached tarball), add the host's Node + npm, docker import.
set -euo pipefail
# shellcheck source=test/bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SUITE=bookworm
ROOTFS_DIR=$BENCH_CACHE/rootfs
ROOTFS_TAR=$ROOTFS_DIR/$SUITE-minbase.tar
NODE_BIN=${MLP_BENCH_NODE_BIN:-/usr/bin/node}
NPM_DIR=${MLP_BENCH_NPM_DIR:-/usr/lib/node_modules/npm}
IMAGE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# The machine's configured Debian mirror (deb822 first, then one-line format, then deb.debian.org).
debian_mirror() {
  if [[ -n ${MLP_BENCH_DEBIAN_MIRROR:-} ]]; then
    echo "$MLP_BENCH_DEBIAN_MIRROR"
    return
  fi
  local uri=''
  if [[ -r /etc/apt/sources.list.d/debian.sources ]]; then
    uri=$(awk -v suite="$SUITE" '
      /^[[:space:]]*$/ { if (uris != "" && ok) { print uris; exit } uris = ""; ok = 0; next }
      $1 == "URIs:" { uris = $2 }
      $1 == "Suites:" { for (i = 2; i <= NF; i++) if ($i == suite) ok = 1 }
      END { if (uris != "" && ok) print uris }
    ' /etc/apt/sources.list.d/debian.sources | head -n1)
  fi
  if [[ -z $uri && -r /etc/apt/sources.list ]]; then
    uri=$(awk -v suite="$SUITE" '$1 == "deb" && $3 == suite { print $2; exit }' /etc/apt/sources.list)
  fi
  echo "${uri:-http://deb.debian.org/debian}"
}

have docker || missing "docker CLI not installed"
docker info >/dev/null 2>&1 || missing "Docker engine not answering; run bash test/bench/docker.sh up"
[[ -x $NODE_BIN ]] || missing "no Node binary at $NODE_BIN"
[[ -f $NPM_DIR/bin/npm-cli.js ]] || missing "no npm at $NPM_DIR"

MIRROR=$(debian_mirror)
NODE_VERSION=$("$NODE_BIN" --version)
NPM_VERSION=$("$NODE_BIN" -p "require('$NPM_DIR/package.json').version")
# Content hash over every input of the image: this script, the rootfs recipe, the Node binary, npm's version.
HASH=$({
  cat "${BASH_SOURCE[0]}"
  echo "$SUITE minbase ca-certificates $MIRROR $NPM_VERSION"
  sha256sum "$NODE_BIN"
} | sha256sum | cut -c1-16)

existing=$(docker image inspect -f '{{ index .Config.Labels "mlp.bench.hash" }}' "$BENCH_BASE_IMAGE" 2>/dev/null || true)
if [[ $existing == "$HASH" ]]; then
  echo "base image: $BENCH_BASE_IMAGE is current (hash $HASH, node $NODE_VERSION)"
  exit 0
fi

if [[ ! -s $ROOTFS_TAR ]]; then
  have debootstrap || missing "debootstrap not installed"
  [[ $(id -u) == 0 ]] || missing "debootstrap needs root"
  mkdir -p "$ROOTFS_DIR"
  build=$ROOTFS_DIR/build.$$
  trap 'rm -rf "$build"' EXIT
  echo "base image: debootstrap --variant=minbase $SUITE from $MIRROR (once; cached as $ROOTFS_TAR)"
  debootstrap --variant=minbase --include=ca-certificates "$SUITE" "$build" "$MIRROR" >"$ROOTFS_DIR/debootstrap.log" 2>&1 ||
    die "debootstrap failed; see $ROOTFS_DIR/debootstrap.log"
  # Slim it: package caches and lists are not needed at run time.
  rm -rf "$build"/var/cache/apt/archives/*.deb "$build"/var/lib/apt/lists/* "$build"/usr/share/doc/* \
    "$build"/usr/share/man/* "$build"/usr/share/locale/* "$build"/var/log/*
  tar --numeric-owner -C "$build" -cf "$ROOTFS_TAR.tmp" .
  mv "$ROOTFS_TAR.tmp" "$ROOTFS_TAR"
  rm -rf "$build"
  trap - EXIT
fi

stage=$(mktemp -d "$BENCH_CACHE/stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
echo "base image: importing $BENCH_BASE_IMAGE (node $NODE_VERSION, npm $NPM_VERSION, hash $HASH)"
tar --numeric-owner -C "$stage" -xf "$ROOTFS_TAR"
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
