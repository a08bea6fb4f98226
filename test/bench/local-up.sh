#!/usr/bin/env bash
# local-up.sh — install and start only what `mlp deploy --target local --profile bench` needs on a fresh Debian
# machine, for the README's main command; the full bench (registry, moto, buildx, Kubernetes, the real node,
# chromium) stays with `up.sh --install`, which the test command runs.
#   1. apt: docker.io (the engine, and Debian's docker CLI 20.10, which has BuildKit built in, so no buildx plugin
#      has to be built), debootstrap (for the base image), python3-venv when python3 cannot make a virtualenv
#      (mlp trains examples/fraud in one).
#   2. The Docker engine (docker.sh up).
#   3. The local Node base image the bench profile builds FROM (base-image.sh): a debootstrapped Debian rootfs, once.
# Each step says how long it took; the slowest one says so when it starts. Same cache as the bench ($MLP_BENCH_CACHE).
set -euo pipefail
# shellcheck source=test/bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=test/bench/rootfs.sh
source "$BENCH_DIR/rootfs.sh"

PYTHON=${MLP_BENCH_PYTHON:-python3}
steps=()
total_start=$EPOCHREALTIME

elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

# step NAME NOTE COMMAND...: run one step with its number and what it is, then record its time.
step_number=0
step() {
  local name=$1 note=$2 start
  shift 2
  step_number=$((step_number + 1))
  echo "local-up: step $step_number/3: $name${note:+ — $note}"
  start=$EPOCHREALTIME
  "$@"
  steps+=("$(printf '%-12s %6ss' "$name" "$(elapsed "$start")")")
}

pkg_installed() { [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == 'install ok installed' ]]; }

as_root() {
  if [[ $(id -u) == 0 ]]; then
    "$@"
  elif have sudo; then
    sudo -n "$@"
  else
    die "need root to run: $*"
  fi
}

install_packages() {
  local wanted=(docker.io debootstrap) missing_pkgs=() pkg
  if ! have "$PYTHON" || ! "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1; then wanted+=(python3 python3-venv); fi
  if ! have dpkg-query; then
    log "not a Debian-family system (no dpkg-query); install a Docker engine and debootstrap yourself"
    return 0
  fi
  for pkg in "${wanted[@]}"; do pkg_installed "$pkg" || missing_pkgs+=("$pkg"); done
  if ((${#missing_pkgs[@]} == 0)); then
    echo "local-up: apt packages present (${wanted[*]})"
    return 0
  fi
  echo "local-up: apt-get install ${missing_pkgs[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 apt-get install -y -qq --no-install-recommends "${missing_pkgs[@]}" >/dev/null
}

base_image_note() {
  if [[ -s $BENCH_ROOTFS_TAR ]]; then
    echo ''
  else
    echo "the slowest step: debootstrap of a Debian $BENCH_SUITE rootfs, once (about a minute), cached in $BENCH_ROOTFS_TAR"
  fi
}

step apt "" install_packages
step docker "" bash "$BENCH_DIR/docker.sh" up
step baseImage "$(base_image_note)" bash "$BENCH_DIR/base-image.sh"

echo
echo "local-up summary (cache $BENCH_CACHE):"
printf '  %s\n' "${steps[@]}"
printf '  %-12s %6ss\n' total "$(elapsed "$total_start")"
# Debian's CLI builds with BuildKit built in; a newer docker CLI on PATH (23 and later) would need the buildx plugin.
echo "  next: MLP_DOCKER=/usr/bin/docker npx mlp deploy -C examples/fraud --target local --profile bench"
