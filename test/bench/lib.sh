# shellcheck shell=bash
# Shared helpers for the bench scripts. Sourced, never run.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BENCH_CACHE=${MLP_BENCH_CACHE:-$HOME/.cache/mlp-bench}
BENCH_REGISTRY_PORT=${MLP_BENCH_REGISTRY_PORT:-5000}
BENCH_MOTO_PORT=${MLP_BENCH_MOTO_PORT:-5055}
BENCH_BASE_IMAGE=${MLP_BENCH_BASE_IMAGE:-mlp-bench/node:20-bookworm-slim}
# Exit status meaning "this component cannot run here (binary missing)"; up.sh reports it and continues.
BENCH_MISSING=3
export BENCH_DIR BENCH_CACHE BENCH_REGISTRY_PORT BENCH_MOTO_PORT BENCH_BASE_IMAGE BENCH_MISSING
mkdir -p "$BENCH_CACHE"

log() { printf 'bench: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
# Print the reason on stdout (up.sh picks up the last "missing:" line) and exit BENCH_MISSING.
missing() { printf 'missing: %s\n' "$*"; exit "$BENCH_MISSING"; }

have() { command -v "$1" >/dev/null 2>&1; }

# pid_alive PIDFILE: true when the pidfile names a live process.
pid_alive() {
  local pid
  [[ -s $1 ]] || return 1
  pid=$(<"$1")
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null
}

# wait_for SECONDS DESCRIPTION COMMAND...: poll COMMAND every 0.5 s until it succeeds or time runs out.
wait_for() {
  local seconds=$1 what=$2 deadline=$((SECONDS + $1))
  shift 2
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      log "gave up after $seconds s waiting for $what"
      return 1
    fi
    sleep 0.5
  done
}

# http_status URL: print the HTTP status code (000 when nothing answers).
http_status() {
  if have curl; then
    curl -s -o /dev/null -m 5 -w '%{http_code}' "$1" || true
  else
    node -e 'fetch(process.argv[1], { signal: AbortSignal.timeout(5000) }).then((r) => console.log(r.status), () => console.log("000"))' "$1"
  fi
}
http_ok() { [[ $(http_status "$1") == 200 ]]; }
http_answers() { [[ $(http_status "$1") != 000 ]]; }

# stop_pidfile PIDFILE NAME: TERM the process named by PIDFILE (which this bench wrote), wait, then KILL.
stop_pidfile() {
  local pidfile=$1 name=$2 pid i
  if ! pid_alive "$pidfile"; then
    rm -f "$pidfile"
    echo "$name: not started by the bench; nothing to stop"
    return 0
  fi
  pid=$(<"$pidfile")
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 40); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name (pid $pid) did not stop after ${i} polls; sending KILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
  echo "$name: stopped (pid $pid)"
}

# await_own_start NAME LOGFILE SECONDS CHECK...: poll CHECK until it succeeds, failing at once when the process
# this script started (the caller's `ours`) has died, and after SECONDS otherwise.
await_own_start() {
  local name=$1 logfile=$2 wait=$3 deadline
  shift 3
  deadline=$((SECONDS + wait))
  until "$@" >/dev/null 2>&1; do
    ours || die "$name exited during start-up; see $logfile"
    ((SECONDS < deadline)) || die "$name did not answer within $wait s; see $logfile"
    sleep 0.3
  done
}

# run_verb "$@": a component script's command line, up|down|status, calling its function of that name.
run_verb() {
  case ${1:-} in
    up | down | status) "$1" ;;
    *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
  esac
}
