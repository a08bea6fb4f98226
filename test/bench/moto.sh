#!/usr/bin/env bash
# moto.sh up|down|status — moto_server (from the bench venv) on 127.0.0.1:$MLP_BENCH_MOTO_PORT.
set -euo pipefail
# shellcheck source=test/bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

VENV=$BENCH_CACHE/moto-venv
DIR=$BENCH_CACHE/moto
PIDFILE=$DIR/moto-$BENCH_MOTO_PORT.pid
LOGFILE=$DIR/moto-$BENCH_MOTO_PORT.log
URL=http://127.0.0.1:$BENCH_MOTO_PORT/moto-api/
WAIT=${MLP_BENCH_MOTO_WAIT:-60}
STOP_HINT=''
[[ $BENCH_MOTO_PORT == 5055 ]] || STOP_HINT="MLP_BENCH_MOTO_PORT=$BENCH_MOTO_PORT "

ours() { pid_alive "$PIDFILE"; }

up() {
  if http_answers "$URL"; then
    if ours; then echo "moto: already up on 127.0.0.1:$BENCH_MOTO_PORT (pid $(<"$PIDFILE"))"; else echo "moto: something already answers on 127.0.0.1:$BENCH_MOTO_PORT; using it (not started by the bench)"; fi
    return 0
  fi
  [[ -x $VENV/bin/moto_server ]] || missing "no moto_server in $VENV"
  mkdir -p "$DIR"
  if ours; then
    log "moto (pid $(<"$PIDFILE")) running but not answering yet; waiting"
  else
    setsid "$VENV/bin/moto_server" -H 127.0.0.1 -p "$BENCH_MOTO_PORT" >>"$LOGFILE" 2>&1 </dev/null &
    echo $! >"$PIDFILE"
    echo "moto: starting moto_server on 127.0.0.1:$BENCH_MOTO_PORT"
  fi
  await_own_start moto_server "$LOGFILE" "$WAIT" http_answers "$URL"
  echo "moto: up on http://127.0.0.1:$BENCH_MOTO_PORT (pid $(<"$PIDFILE"), log $LOGFILE); stop it with: ${STOP_HINT}bash test/bench/moto.sh down"
}

down() { stop_pidfile "$PIDFILE" moto; }

status() {
  if http_answers "$URL"; then
    if ours; then echo "moto: up on 127.0.0.1:$BENCH_MOTO_PORT (bench pid $(<"$PIDFILE"))"; else echo "moto: up on 127.0.0.1:$BENCH_MOTO_PORT (not started by the bench)"; fi
  else
    echo "moto: down"
    return 1
  fi
}

run_verb "$@"
