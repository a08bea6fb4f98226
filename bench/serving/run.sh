#!/usr/bin/env bash
# bench/serving: mlp's inference server against FastAPI peers and a bare node:http ceiling. One command:
#   bash bench/serving/run.sh
# Prepares (idempotently, cached under ~/.cache/mlp-bench-serving): a Python venv pinned by
# bench/peers/requirements.txt, MLServer's own venv pinned by bench/peers/mlserver/requirements.txt, ghz (built from
# its Go module), the fraud model trained once by examples/fraud/train.py (through
# bench/peers/train_fraud.py, which also pickles the estimator and writes the payloads), wrk, and
# dist/serving/server.js. Then runs bench/serving/bench.mjs pinned to CPU 1. Knobs: see bench.mjs's header.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="${MLP_BENCH_SERVING_CACHE:-$HOME/.cache/mlp-bench-serving}"
REQS="$ROOT/bench/peers/requirements.txt"
MLSERVER_REQS="$ROOT/bench/peers/mlserver/requirements.txt"
GHZ_VERSION=v0.120.0
GO="${GO:-$(command -v go || echo /usr/local/go/bin/go)}"
mkdir -p "$CACHE"
started=$(date +%s)

bench_pid=""
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  local status=$?
  if [[ -n "$bench_pid" ]] && kill -0 "$bench_pid" 2>/dev/null; then kill -TERM "$bench_pid" 2>/dev/null || true; sleep 1; fi
  # Every server the bench started is listed in servers.pid while it lives; kill any left over.
  if [[ -s "$CACHE/servers.pid" ]]; then
    while read -r pid; do
      # each server leads its own process group (MLServer's workers are in it too)
      [[ -n "$pid" ]] && { kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true; }
    done < "$CACHE/servers.pid"
    : > "$CACHE/servers.pid"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '[bench/serving] %s\n' "$*" >&2; }

# 1. wrk and taskset
if ! command -v wrk >/dev/null; then
  step "installing wrk"
  timeout 300 apt-get update -qq
  DEBIAN_FRONTEND=noninteractive timeout 300 apt-get install -y -qq wrk
fi
command -v taskset >/dev/null || { step "taskset missing (util-linux)"; exit 1; }
[[ $(nproc) -ge 2 ]] || { step "needs 2 CPUs (servers on CPU 0, wrk on CPU 1); this machine has $(nproc)"; exit 1; }

# 2. Python venvs, each keyed by its requirements' hash: the FastAPI peers' (and training's), and MLServer's own,
# since its pins conflict with the FastAPI ones. ensure_venv <dir> <requirements>; true when it was (re)created.
ensure_venv() {
  local dir=$1 reqs=$2 hash
  hash=$(sha256sum "$reqs" | cut -c1-16)
  [[ "$(cat "$dir/.requirements-hash" 2>/dev/null)" == "$hash" ]] && return 1
  step "creating the Python venv $dir ($hash)"
  rm -rf "$dir"
  python3 -m venv "$dir"
  timeout 900 "$dir/bin/pip" install -q --disable-pip-version-check -r "$reqs"
  "$dir/bin/pip" freeze > "$dir/freeze.txt"
  echo "$hash" > "$dir/.requirements-hash"
}
VENV="$CACHE/venv"
MLVENV="$CACHE/mlserver-venv"
if ensure_venv "$VENV" "$REQS"; then
  rm -rf "$CACHE/model" # a new library version may write a different model
fi
ensure_venv "$MLVENV" "$MLSERVER_REQS" || true

# 3. the trained model and payloads, once per venv
MODEL="$CACHE/model"
if [[ ! -s "$MODEL/model.onnx" || ! -s "$MODEL/model.joblib" || ! -s "$MODEL/batch.json" ]]; then
  step "training the fraud model into $MODEL"
  rm -rf "$MODEL.tmp"
  (cd "$ROOT" && MLP_MODEL_VERSION=bench timeout 900 "$VENV/bin/python" bench/peers/train_fraud.py --out "$MODEL.tmp")
  rm -rf "$MODEL" && mv "$MODEL.tmp" "$MODEL"
fi

# 3b. the V2 payloads (REST bodies, ghz messages, expected answer), keyed by the generator's hash
v2hash=$(sha256sum "$ROOT/bench/peers/v2_payloads.py" | cut -c1-16)
if [[ "$(cat "$MODEL/.v2-payloads-hash" 2>/dev/null)" != "$v2hash" || ! -s "$MODEL/v2-expected.json" ]]; then
  step "writing the V2 payloads into $MODEL"
  (cd "$ROOT" && timeout 300 "$VENV/bin/python" -B bench/peers/v2_payloads.py "$MODEL" >&2)
  echo "$v2hash" > "$MODEL/.v2-payloads-hash"
fi

# 3d. ghz, the gRPC load generator, built from its Go module
if [[ ! -x "$CACHE/bin/ghz" || "$(cat "$CACHE/bin/.ghz-version" 2>/dev/null)" != "$GHZ_VERSION" ]]; then
  step "building ghz $GHZ_VERSION into $CACHE/bin"
  mkdir -p "$CACHE/bin"
  (cd "$CACHE" && GOBIN="$CACHE/bin" GOFLAGS=-mod=mod timeout 900 "$GO" install "github.com/bojand/ghz/cmd/ghz@$GHZ_VERSION")
  echo "$GHZ_VERSION" > "$CACHE/bin/.ghz-version"
fi

# 4. mlp's server bundle
if [[ ! -s "$ROOT/dist/serving/server.js" ]]; then
  step "building dist/serving/server.js"
  (cd "$ROOT" && timeout 600 node scripts/build.mjs)
fi

# 5. the bench, pinned to CPU 1 with wrk; it pins every server to CPU 0
step "running the bench (about 13 minutes at the defaults)"
BENCH_CACHE="$CACHE" BENCH_GHZ_VERSION="$GHZ_VERSION" timeout 1800 taskset -c 1 node "$ROOT/bench/serving/bench.mjs" &
bench_pid=$!
wait "$bench_pid"
status=$?
bench_pid=""
step "done in $(( $(date +%s) - started )) s"
exit "$status"
