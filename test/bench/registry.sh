#!/usr/bin/env bash
# registry.sh up|down|status — Debian's docker-registry (distribution) on 127.0.0.1:$MLP_BENCH_REGISTRY_PORT
# with its own config and storage under the cache dir.
set -euo pipefail
# shellcheck source=test/bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DIR=$BENCH_CACHE/registry
PIDFILE=$DIR/registry-$BENCH_REGISTRY_PORT.pid
LOGFILE=$DIR/registry-$BENCH_REGISTRY_PORT.log
CONFIG=$DIR/config-$BENCH_REGISTRY_PORT.yml
ADDR=127.0.0.1:$BENCH_REGISTRY_PORT
URL=http://$ADDR/v2/
WAIT=${MLP_BENCH_REGISTRY_WAIT:-30}
STOP_HINT=''
[[ $BENCH_REGISTRY_PORT == 5000 ]] || STOP_HINT="MLP_BENCH_REGISTRY_PORT=$BENCH_REGISTRY_PORT "

ours() { pid_alive "$PIDFILE"; }

up() {
  if http_ok "$URL"; then
    if ours; then echo "registry: bench registry already up on $ADDR (pid $(<"$PIDFILE"))"; else echo "registry: something already answers $URL with 200; using it (not started by the bench)"; fi
    return 0
  fi
  local bin=${MLP_BENCH_REGISTRY_BIN:-}
  if [[ -z $bin ]] && have docker-registry; then bin=docker-registry; fi
  [[ -n $bin ]] || missing "docker-registry not installed"
  if ours; then
    log "bench registry (pid $(<"$PIDFILE")) running but not answering yet; waiting"
  else
    mkdir -p "$DIR/storage"
    cat >"$CONFIG" <<YAML
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $DIR/storage
  delete:
    enabled: true
http:
  addr: $ADDR
YAML
    setsid "$bin" serve "$CONFIG" >>"$LOGFILE" 2>&1 </dev/null &
    echo $! >"$PIDFILE"
    echo "registry: starting $bin on $ADDR (config $CONFIG)"
  fi
  await_own_start docker-registry "$LOGFILE" "$WAIT" http_ok "$URL"
  echo "registry: up on $ADDR (pid $(<"$PIDFILE"), log $LOGFILE); stop it with: ${STOP_HINT}bash test/bench/registry.sh down"
}

down() { stop_pidfile "$PIDFILE" registry; }

status() {
  if http_ok "$URL"; then
    if ours; then echo "registry: up on $ADDR (bench pid $(<"$PIDFILE"))"; else echo "registry: up on $ADDR (not started by the bench)"; fi
  else
    echo "registry: down ($URL not answering 200)"
    return 1
  fi
}

run_verb "$@"
