#!/usr/bin/env bash
# docker.sh up|down|status — make a Docker engine answer `docker info`.
# Uses an engine that already answers; otherwise starts Debian's dockerd in the background.
# `down` only ever stops a dockerd this script started (its pidfile under the cache dir).
set -euo pipefail
# shellcheck source=test/bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PIDFILE=$BENCH_CACHE/dockerd.pid
LOGFILE=$BENCH_CACHE/dockerd.log
DATA_ROOT=$BENCH_CACHE/docker-data
SOCKET=/var/run/docker.sock
WAIT=${MLP_BENCH_DOCKER_WAIT:-60}

ours() { pid_alive "$PIDFILE" && [[ $(cat "/proc/$(<"$PIDFILE")/comm" 2>/dev/null) == dockerd ]]; }
engine_answers() { docker info >/dev/null 2>&1; }

# The flags that work in this kind of VM (Firecracker-style kernel, cgroup v1, no systemd):
#  - overlay2 when the kernel has overlayfs, else vfs (slow but always works);
#  - iptables + the default docker0 bridge when iptables can list rules, else no iptables/masquerade
#    (the bench's containers need no outside network; pushes to 127.0.0.1 go through the daemon itself).
dockerd_flags() {
  local flags=(--host "unix://$SOCKET" --data-root "$DATA_ROOT" --pidfile "$PIDFILE")
  if grep -qw overlay /proc/filesystems 2>/dev/null; then
    flags+=(--storage-driver overlay2)
  else
    flags+=(--storage-driver vfs)
  fi
  if ! iptables -L -n >/dev/null 2>&1; then
    flags+=(--iptables=false --ip-masq=false)
  fi
  # shellcheck disable=SC2206 # MLP_BENCH_DOCKERD_FLAGS is a space-separated list on purpose.
  [[ -n ${MLP_BENCH_DOCKERD_FLAGS:-} ]] && flags+=(${MLP_BENCH_DOCKERD_FLAGS})
  printf '%s\n' "${flags[@]}"
}

up() {
  have docker || missing "docker CLI not installed"
  if engine_answers; then
    if ours; then
      echo "docker: bench dockerd already up (pid $(<"$PIDFILE"))"
    else
      echo "docker: using the engine that already answers (not started by the bench; down leaves it alone)"
    fi
    return 0
  fi
  if [[ -S $SOCKET && ! -w $SOCKET ]] && ! ours; then
    missing "an engine socket exists at $SOCKET but this user cannot use it (add the user to the docker group, or set DOCKER_HOST)"
  fi
  have dockerd || missing "dockerd not installed"
  [[ $(id -u) == 0 ]] || missing "no engine answers and starting dockerd needs root"
  if ours; then
    # Started earlier but not answering yet (or wedged): give it the bounded wait below.
    log "bench dockerd (pid $(<"$PIDFILE")) is running but not answering yet; waiting"
  else
    rm -f "$PIDFILE"
    mkdir -p "$DATA_ROOT"
    local flags
    mapfile -t flags < <(dockerd_flags)
    echo "docker: starting dockerd ${flags[*]}"
    setsid dockerd "${flags[@]}" >>"$LOGFILE" 2>&1 </dev/null &
    local started=$!
    local deadline=$((SECONDS + WAIT))
    until engine_answers; do
      kill -0 "$started" 2>/dev/null || die "dockerd exited during start-up; see $LOGFILE"
      ((SECONDS < deadline)) || die "dockerd did not answer within $WAIT s; see $LOGFILE"
      sleep 0.5
    done
  fi
  wait_for "$WAIT" "docker info" engine_answers || die "dockerd did not answer; see $LOGFILE"
  echo "docker: started dockerd (pid $(<"$PIDFILE"), log $LOGFILE); stop it with: bash test/bench/docker.sh down"
}

down() {
  if ours; then
    stop_pidfile "$PIDFILE" dockerd
  else
    echo "docker: no bench-started dockerd; leaving any other engine alone"
  fi
}

status() {
  if engine_answers; then
    if ours; then echo "docker: up (bench dockerd pid $(<"$PIDFILE"))"; else echo "docker: up (engine not started by the bench)"; fi
  else
    echo "docker: down"
    return 1
  fi
}

run_verb "$@"
