#!/usr/bin/env bash
# install.sh — install what the bench needs when it is missing:
#   apt: docker.io docker-registry debootstrap, and for the real node containerd runc containernetworking-plugins
#   iptables socat gcc libc6-dev (+ python3-venv when python3 cannot make a venv)
#   PyPI: moto[server]==$MOTO_VERSION in a venv under the cache dir.
#   Go module proxy: the docker buildx plugin (buildx.sh install).
#   Go module proxy: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok (kube.sh install).
#   Go module proxy: the kubelet, from the same k8s.io/kubernetes module, and the pause image from its pause.c
#   (node.sh install).
# Runs `apt-get update` at most once, and only when an apt package is missing.
set -euo pipefail
# shellcheck source=test/bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MOTO_VERSION=5.2.5
MOTO_REQ="moto[server]==$MOTO_VERSION"
VENV=$BENCH_CACHE/moto-venv
PYTHON=${MLP_BENCH_PYTHON:-python3}
installed=()

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

# --- apt ---------------------------------------------------------------------------------------
# The real node's (node.sh): containerd runs as its own instance; gcc and libc6-dev build the static pause binary.
wanted=(docker.io docker-registry debootstrap containerd runc containernetworking-plugins iptables socat gcc libc6-dev)
if ! have "$PYTHON" || ! "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  wanted+=(python3 python3-venv)
  PYTHON=python3
fi
missing_pkgs=()
if have dpkg-query; then
  for pkg in "${wanted[@]}"; do
    pkg_installed "$pkg" || missing_pkgs+=("$pkg")
  done
else
  log "not a Debian-family system (no dpkg-query); skipping apt"
fi
if ((${#missing_pkgs[@]} > 0)); then
  echo "install: apt-get install ${missing_pkgs[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing_pkgs[@]}" >/dev/null
  installed+=("apt: ${missing_pkgs[*]}")
else
  echo "install: apt packages present (${wanted[*]})"
fi

# --- moto venv ---------------------------------------------------------------------------------
marker=$VENV/.mlp-bench-requirement
if [[ -x $VENV/bin/moto_server && $(cat "$marker" 2>/dev/null) == "$MOTO_REQ" ]]; then
  echo "install: $MOTO_REQ present in $VENV"
else
  echo "install: creating $VENV with $MOTO_REQ"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "$MOTO_REQ"
  [[ -x $VENV/bin/moto_server ]] || die "pip installed $MOTO_REQ but $VENV/bin/moto_server is missing"
  echo "$MOTO_REQ" >"$marker"
  installed+=("venv: $MOTO_REQ")
fi

# --- buildx (Go module) ----------------------------------------------------------------------------
bash "$BENCH_DIR/buildx.sh" install

# --- Debian's chromium, for the page's browser tests (chromium.sh install) ---------------------------------
bash "$BENCH_DIR/chromium.sh" install

# --- actionlint (Go module) and Debian's shellcheck, for the generated workflow (actionlint.sh install) ------------
bash "$BENCH_DIR/actionlint.sh" install

# --- tritonclient[http,grpc] and schemathesis from PyPI, for the serving conformance tests (python-clients.sh install)
bash "$BENCH_DIR/python-clients.sh" install

# --- Kubernetes control plane (Go modules; a cold build takes many minutes) ------------------------
bash "$BENCH_DIR/kube.sh" install

# --- The real node: the kubelet from the same module, the pause image built from its pause.c ----------------------
bash "$BENCH_DIR/node.sh" install

if ((${#installed[@]} > 0)); then
  printf 'install: installed %s\n' "${installed[@]}"
else
  echo "install: nothing to install"
fi
