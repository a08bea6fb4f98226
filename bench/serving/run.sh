#!/usr/bin/env bash
# bench/serving: mlp's inference server against FastAPI peers and a bare node:http ceiling. One command:
#   bash bench/serving/run.sh
# Prepares (idempotently, cached under ~/.cache/mlp-bench-serving): a Python venv pinned by
# bench/peers/requirements.txt, the fraud model trained once by examples/fraud/train.py (through
# bench/peers/train_fraud.py, which also pickles the estimator and writes the payloads), wrk, and
# dist/serving/server.js. Then runs bench/serving/bench.mjs pinned to CPU 1. Knobs: see bench.mjs's header.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="${MLP_BENCH_SERVING_CACHE:-$HOME/.cache/mlp-bench-serving}"
REQS="$ROOT/bench/peers/requirements.txt"
mkdir -p "$CACHE"
started=$(date +%s)

bench_pid=""
cleanup() {
  local status=$?
  if [[ -n "$bench_pid" ]] && kill -0 "$bench_pid" 2>/dev/null; then kill -TERM "$bench_pid" 2>/dev/null || true; sleep 1; fi
  # Every server the bench started is listed in servers.pid while it lives; kill any left over.
  if [[ -s "$CACHE/servers.pid" ]]; then
    while read -r pid; do
      [[ -n "$pid" ]] && kill -KILL "$pid" 2>/dev/null || true
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

# 2. Python venv, keyed by the requirements' hash
hash=$(sha256sum "$REQS" | cut -c1-16)
VENV="$CACHE/venv"
if [[ "$(cat "$VENV/.requirements-hash" 2>/dev/null)" != "$hash" ]]; then
  step "creating the Python venv ($hash)"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  timeout 900 "$VENV/bin/pip" install -q --disable-pip-version-check -r "$REQS"
  "$VENV/bin/pip" freeze > "$VENV/freeze.txt"
  echo "$hash" > "$VENV/.requirements-hash"
  rm -rf "$CACHE/model" # a new library version may write a different model
fi

# 3. the trained model and payloads, once per venv
MODEL="$CACHE/model"
if [[ ! -s "$MODEL/model.onnx" || ! -s "$MODEL/model.joblib" || ! -s "$MODEL/batch.json" ]]; then
  step "training the fraud model into $MODEL"
  rm -rf "$MODEL.tmp"
  (cd "$ROOT" && MLP_MODEL_VERSION=bench timeout 900 "$VENV/bin/python" bench/peers/train_fraud.py --out "$MODEL.tmp")
  rm -rf "$MODEL" && mv "$MODEL.tmp" "$MODEL"
fi

# 4. mlp's server bundle
if [[ ! -s "$ROOT/dist/serving/server.js" ]]; then
  step "building dist/serving/server.js"
  (cd "$ROOT" && timeout 600 node scripts/build.mjs)
fi

# 5. the bench, pinned to CPU 1 with wrk; it pins every server to CPU 0
step "running the bench (about 10 minutes at the defaults)"
BENCH_CACHE="$CACHE" timeout 1800 taskset -c 1 node "$ROOT/bench/serving/bench.mjs" &
bench_pid=$!
wait "$bench_pid"
status=$?
bench_pid=""
step "done in $(( $(date +%s) - started )) s"
exit "$status"
