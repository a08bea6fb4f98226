#!/usr/bin/env bash
# buildx.sh install|status — the docker buildx CLI plugin, built from its Go module (no GitHub downloads here).
# install: `go install github.com/docker/buildx/cmd/buildx@$BUILDX_VERSION` into the cache (once per version),
# then links it where the docker CLI looks for the user's plugins (~/.docker/cli-plugins). status: exits 0 when `docker buildx version` answers, BENCH_MISSING otherwise.
set -euo pipefail
# shellcheck source=test/bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BUILDX_VERSION=${MLP_BENCH_BUILDX_VERSION:-v0.38.2}
DIR=$BENCH_CACHE/buildx/$BUILDX_VERSION
BIN=$DIR/docker-buildx

# The user's plugin directory rather than a system one: a docker CLI run with another DOCKER_CONFIG does not see it,
# which is how the tests check mlp's behaviour without buildx.
plugin_dir() {
  echo "${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins"
}

install() {
  if [[ ! -x $BIN ]]; then
    have go || missing "go not installed (needed to build buildx $BUILDX_VERSION from its Go module)"
    echo "buildx: building $BUILDX_VERSION from its Go module (a few minutes on 2 cores)"
    local start=$SECONDS tmp
    tmp=$(mktemp -d "$BENCH_CACHE/buildx-build.XXXXXX")
    # -trimpath/-s -w: a smaller binary; the version ldflag makes `docker buildx version` report the real one.
    GOBIN=$tmp GOFLAGS=-trimpath go install \
      -ldflags "-s -w -X github.com/docker/buildx/version.Version=$BUILDX_VERSION -X github.com/docker/buildx/version.Package=github.com/docker/buildx" \
      "github.com/docker/buildx/cmd/buildx@$BUILDX_VERSION"
    mkdir -p "$DIR"
    mv "$tmp/buildx" "$BIN.tmp" && mv "$BIN.tmp" "$BIN"
    rm -rf "$tmp"
    echo "buildx: built $BIN in $((SECONDS - start)) s"
  else
    echo "buildx: $BUILDX_VERSION already built ($BIN)"
  fi
  local target
  target=$(plugin_dir)/docker-buildx
  mkdir -p "$(dirname "$target")"
  if [[ $(readlink "$target" 2>/dev/null) != "$BIN" ]]; then
    ln -sfn "$BIN" "$target"
    echo "buildx: linked $target -> $BIN"
  fi
}

status() {
  have docker || missing "docker CLI not installed"
  local version
  version=$(docker buildx version 2>/dev/null) || missing "docker buildx plugin not installed (bash test/bench/buildx.sh install)"
  echo "buildx: $version"
}

case ${1:-} in
  install) install ;;
  status | up) status ;;
  *) echo "usage: $0 install|status" >&2; exit 2 ;;
esac
