#!/usr/bin/env bash
# python-clients.sh install|status — the Python clients the serving app's conformance tests run against a live
# server (serving/test/conformance-*.test.ts): tritonclient[http,grpc], the Open Inference Protocol's own client
# (Triton's), and schemathesis, which fuzzes the routes from /openapi.json. Both from PyPI, pinned, in one venv
# under the cache dir. install: (re)creates the venv when the pins changed. status: exits 0 and prints the venv's
# python when both import, BENCH_MISSING otherwise.
set -euo pipefail
# shellcheck source=test/bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TRITONCLIENT_VERSION=2.73.0
SCHEMATHESIS_VERSION=4.32.5
REQUIREMENTS=("tritonclient[http,grpc]==$TRITONCLIENT_VERSION" "schemathesis==$SCHEMATHESIS_VERSION")
VENV=$BENCH_CACHE/python-clients-venv
PYTHON=${MLP_BENCH_PYTHON:-python3}
marker=$VENV/.mlp-bench-requirement

importable() { "$VENV/bin/python" -c 'import tritonclient.http, tritonclient.grpc, schemathesis' >/dev/null 2>&1; }

install() {
  if [[ -x $VENV/bin/python && $(cat "$marker" 2>/dev/null) == "${REQUIREMENTS[*]}" ]] && importable; then
    echo "python clients: ${REQUIREMENTS[*]} present in $VENV"
    return 0
  fi
  have "$PYTHON" || missing "no $PYTHON to make the clients' venv (bash test/bench/install.sh installs python3-venv)"
  echo "python clients: creating $VENV with ${REQUIREMENTS[*]}"
  local start=$SECONDS
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "${REQUIREMENTS[@]}"
  importable || die "pip installed ${REQUIREMENTS[*]} but $VENV/bin/python cannot import them"
  echo "${REQUIREMENTS[*]}" >"$marker"
  echo "python clients: installed in $((SECONDS - start)) s"
}

status() {
  [[ -x $VENV/bin/python ]] || missing "no venv at $VENV (bash test/bench/python-clients.sh install)"
  [[ $(cat "$marker" 2>/dev/null) == "${REQUIREMENTS[*]}" ]] || missing "$VENV does not hold ${REQUIREMENTS[*]} (bash test/bench/python-clients.sh install)"
  importable || missing "$VENV/bin/python cannot import tritonclient and schemathesis (bash test/bench/python-clients.sh install)"
  echo "python clients: $VENV/bin/python"
}

case ${1:-} in
  install) install ;;
  status | up) status ;;
  *) echo "usage: $0 install|status" >&2; exit 2 ;;
esac
