#!/usr/bin/env bash
# down.sh — stop what the bench started (the real node, kube control plane, moto, registry, dockerd); leaves anything
# else running.
set -euo pipefail
# shellcheck source=test/bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The nodegroup stand-in first: it talks to both the API server and moto.
bash "$BENCH_DIR/nodegroups.sh" down
# Before the control plane: node.sh deletes its Node through the API server.
bash "$BENCH_DIR/node.sh" down
bash "$BENCH_DIR/kube.sh" down
bash "$BENCH_DIR/moto.sh" down
bash "$BENCH_DIR/registry.sh" down
bash "$BENCH_DIR/docker.sh" down
rm -f "$BENCH_CACHE/bench.env"
