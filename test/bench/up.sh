#!/usr/bin/env bash
# up.sh [--install] — bring the real-component bench up: Docker engine, registry, moto, Node base image,
# the buildx plugin, Python base image, the Kubernetes control plane with kwok's fake nodes, and one real node.
# Without --install it never installs anything: a component whose binary is missing is reported as
# "missing: <component> (...)" and the rest still start. Writes $cache/bench.env describing what is up.
set -euo pipefail
# shellcheck source=test/bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

install=0
for arg in "$@"; do
  case $arg in
    --install) install=1 ;;
    -h | --help) echo "usage: bash test/bench/up.sh [--install]"; exit 0 ;;
    *) echo "usage: bash test/bench/up.sh [--install]" >&2; exit 2 ;;
  esac
done

summary=()
failed=0
declare -A state

# run_component NAME COMMAND...: run it streaming its output, time it, and classify the result.
run_component() {
  local name=$1 start end rc why out
  shift
  out=$(mktemp)
  start=$EPOCHREALTIME
  set +e
  # The component's own "missing:" line is restated below with the component name and the fix.
  "$@" 2>&1 | tee "$out" | grep --line-buffered -v '^missing: '
  rc=${PIPESTATUS[0]}
  set -e
  end=$EPOCHREALTIME
  local took
  took=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
  if ((rc == 0)); then
    state[$name]=up
    summary+=("$(printf '%-12s up       %6ss' "$name" "$took")")
  elif ((rc == BENCH_MISSING)); then
    why=$(grep '^missing: ' "$out" | tail -n1 | sed 's/^missing: //')
    state[$name]=missing
    echo "missing: $name (${why:-not available}; run bash test/bench/up.sh --install)"
    summary+=("$(printf '%-12s missing  %6ss  %s' "$name" "$took" "${why:-not available}")")
  else
    state[$name]=failed
    failed=1
    why=$(tail -n1 "$out")
    summary+=("$(printf '%-12s FAILED   %6ss  %s' "$name" "$took" "$why")")
  fi
  rm -f "$out"
}

total_start=$EPOCHREALTIME
if ((install)); then
  run_component install bash "$BENCH_DIR/install.sh"
fi
run_component docker bash "$BENCH_DIR/docker.sh" up
run_component registry bash "$BENCH_DIR/registry.sh" up
run_component moto bash "$BENCH_DIR/moto.sh" up
run_component baseImage bash "$BENCH_DIR/base-image.sh"
run_component buildx bash "$BENCH_DIR/buildx.sh" status
# Debian's chromium, which the page's browser tests drive with playwright-core.
run_component chromium bash "$BENCH_DIR/chromium.sh" status
# actionlint (from its Go module) and Debian's shellcheck, which check the workflow mlp init --github-actions writes.
run_component actionlint bash "$BENCH_DIR/actionlint.sh" status
# tritonclient[http,grpc] and schemathesis (PyPI), which the serving conformance tests run against the server.
run_component pythonClients bash "$BENCH_DIR/python-clients.sh" status
# The training image's base (mlp-bench/python:3.11-bookworm-slim), from the same cached rootfs as baseImage.
run_component pythonImage bash "$BENCH_DIR/python-image.sh"
# Kubernetes control plane (etcd, apiserver, controller-manager, scheduler, kwok fake nodes).
run_component kube bash "$BENCH_DIR/kube.sh" up
# One real worker node in that cluster (kubelet + its own containerd), tainted so only pods that tolerate it land there.
run_component node bash "$BENCH_DIR/node.sh" up
# The stand-in for managed nodegroups' EC2 instances: kwok Nodes that follow each moto nodegroup's desiredSize.
run_component nodegroups bash "$BENCH_DIR/nodegroups.sh" up

env_file=$BENCH_CACHE/bench.env
{
  echo "# written by test/bench/up.sh at $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  if [[ ${state[docker]} == up ]]; then echo MLP_BENCH_DOCKER=1; else echo MLP_BENCH_DOCKER=0; fi
  [[ ${state[registry]} == up ]] && echo "MLP_BENCH_REGISTRY=127.0.0.1:$BENCH_REGISTRY_PORT"
  [[ ${state[moto]} == up ]] && echo "MLP_BENCH_AWS_ENDPOINT_URL=http://127.0.0.1:$BENCH_MOTO_PORT"
  [[ ${state[baseImage]} == up ]] && echo "MLP_BENCH_BASE_IMAGE=$BENCH_BASE_IMAGE"
  [[ ${state[buildx]} == up ]] && echo "MLP_BENCH_BUILDX=1"
  [[ ${state[pythonImage]} == up ]] && echo "MLP_BENCH_PYTHON_IMAGE=${MLP_BENCH_PYTHON_IMAGE:-mlp-bench/python:3.11-bookworm-slim}"
  [[ ${state[kube]} == up ]] && echo "MLP_BENCH_KUBECONFIG=$BENCH_CACHE/kube/kubeconfig"
  [[ ${state[node]} == up ]] && echo "MLP_BENCH_REAL_NODE=${MLP_BENCH_NODE_NAME:-mlp-bench-node}"
  [[ ${state[nodegroups]} == up ]] && echo "MLP_BENCH_NODEGROUPS=1"
  # moto as the real node's pods reach it (node.sh relays the node's address to moto).
  [[ ${state[node]} == up && ${state[moto]} == up ]] && echo "MLP_BENCH_POD_AWS_ENDPOINT_URL=http://10.244.0.1:$BENCH_MOTO_PORT"
  true
} >"$env_file.tmp"
mv "$env_file.tmp" "$env_file"

total=$(awk -v a="$total_start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
echo
echo "bench summary (cache $BENCH_CACHE):"
printf '  %s\n' "${summary[@]}"
printf '  %-12s          %6ss\n' total "$total"
echo "  wrote $env_file; stop with: bash test/bench/down.sh"
exit "$failed"
