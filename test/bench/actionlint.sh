#!/usr/bin/env bash
# actionlint.sh install|status — the linter the generated GitHub Actions workflow is checked with
# (test/init-github-actions.test.ts): actionlint built from its Go module (no GitHub release download here), and
# Debian's shellcheck, which actionlint runs on every `run:` script.
# install: `go install github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION` into the cache (once per
# version) and `apt-get install shellcheck` when it is missing. status: exits 0 when both answer, BENCH_MISSING otherwise.
set -euo pipefail
# shellcheck source=test/bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ACTIONLINT_VERSION=${MLP_BENCH_ACTIONLINT_VERSION:-v1.7.12}
DIR=$BENCH_CACHE/actionlint/$ACTIONLINT_VERSION
BIN=$DIR/actionlint
SHELLCHECK=${MLP_BENCH_SHELLCHECK:-/usr/bin/shellcheck}

install() {
  if [[ ! -x $BIN ]]; then
    have go || missing "go not installed (needed to build actionlint $ACTIONLINT_VERSION from its Go module)"
    echo "actionlint: building $ACTIONLINT_VERSION from its Go module (about a minute on 2 cores)"
    local start=$SECONDS tmp
    tmp=$(mktemp -d "$BENCH_CACHE/actionlint-build.XXXXXX")
    GOBIN=$tmp GOFLAGS=-trimpath go install \
      -ldflags "-s -w -X github.com/rhysd/actionlint.version=$ACTIONLINT_VERSION" \
      "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
    mkdir -p "$DIR"
    mv "$tmp/actionlint" "$BIN.tmp" && mv "$BIN.tmp" "$BIN"
    rm -rf "$tmp"
    echo "actionlint: built $BIN in $((SECONDS - start)) s"
  else
    echo "actionlint: $ACTIONLINT_VERSION already built ($BIN)"
  fi

  if [[ -x $SHELLCHECK ]]; then
    echo "actionlint: shellcheck present ($SHELLCHECK)"
    return 0
  fi
  have apt-get || missing "no apt-get to install Debian's shellcheck (or set MLP_BENCH_SHELLCHECK to a shellcheck binary)"
  local as_root=()
  if [[ $(id -u) != 0 ]]; then
    have sudo || missing "installing shellcheck needs root"
    as_root=(sudo -n)
  fi
  echo "actionlint: apt-get install shellcheck"
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 apt-get install -y -qq --no-install-recommends shellcheck >/dev/null
  [[ -x $SHELLCHECK ]] || die "apt installed shellcheck but $SHELLCHECK is missing"
}

status() {
  [[ -x $BIN ]] || missing "no actionlint at $BIN (bash test/bench/actionlint.sh install)"
  [[ -x $SHELLCHECK ]] || missing "no shellcheck at $SHELLCHECK (bash test/bench/actionlint.sh install)"
  local version
  version=$("$BIN" -version 2>/dev/null | head -n 1) || missing "$BIN -version failed"
  echo "actionlint: $version at $BIN, $("$SHELLCHECK" --version | sed -n 's/^version: /shellcheck /p')"
}

# The binary's path, for the tests (test/support/bench.ts).
where() {
  echo "$BIN"
}

case ${1:-} in
  install) install ;;
  status | up) status ;;
  path) where ;;
  *) echo "usage: $0 install|status|path" >&2; exit 2 ;;
esac
