#!/usr/bin/env bash
# chromium.sh install|status — Debian's chromium, the browser the page tests drive with playwright-core
# (test/page-browser.test.ts). No test tool downloads a browser of its own here: `npx playwright install` would fetch
# from a CDN this machine cannot reach. install: `apt-get install chromium` when /usr/bin/chromium is missing.
# status: exits 0 when the binary starts headless and prints its version, BENCH_MISSING otherwise.
set -euo pipefail
# shellcheck source=test/bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CHROMIUM=${MLP_BENCH_CHROMIUM:-/usr/bin/chromium}

install() {
  if [[ -x $CHROMIUM ]]; then
    echo "chromium: present ($CHROMIUM)"
    return 0
  fi
  have apt-get || missing "no apt-get to install Debian's chromium (or set MLP_BENCH_CHROMIUM to a chromium binary)"
  local as_root=()
  if [[ $(id -u) != 0 ]]; then
    have sudo || missing "installing chromium needs root"
    as_root=(sudo -n)
  fi
  echo "chromium: apt-get install chromium"
  local start=$SECONDS
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 apt-get install -y -qq --no-install-recommends chromium >/dev/null
  [[ -x $CHROMIUM ]] || die "apt installed chromium but $CHROMIUM is missing"
  echo "chromium: installed in $((SECONDS - start)) s"
}

status() {
  [[ -x $CHROMIUM ]] || missing "no chromium at $CHROMIUM (bash test/bench/chromium.sh install)"
  local version
  version=$("$CHROMIUM" --headless --no-sandbox --disable-gpu --version 2>/dev/null) || missing "$CHROMIUM --version failed"
  echo "chromium: $version"
}

case ${1:-} in
  install) install ;;
  status | up) status ;;
  *) echo "usage: $0 install|status" >&2; exit 2 ;;
esac
