#!/usr/bin/env bash
# nodegroups.sh up|down|status — the stand-in for EKS managed nodegroups' EC2 instances (nodegroup-standin.mjs):
# a Node process that makes kwok fake Nodes in the bench cluster follow each moto nodegroup's desiredSize. Needs the
# kube and moto components up.
set -euo pipefail
# shellcheck source=test/bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DIR=$BENCH_CACHE/nodegroups
PIDFILE=$DIR/standin.pid
LOGFILE=$DIR/standin.log
HEARTBEAT=$DIR/standin.heartbeat
SCRIPT=$BENCH_DIR/nodegroup-standin.mjs
KUBECONFIG_FILE=$BENCH_CACHE/kube/kubeconfig
MOTO_URL=http://127.0.0.1:$BENCH_MOTO_PORT
WAIT=${MLP_BENCH_NODEGROUPS_WAIT:-30}

ours() { pid_alive "$PIDFILE"; }
# The stand-in finished a poll of moto and the API server within the last 10 s.
fresh() { [[ -f $HEARTBEAT ]] && (($(date +%s) - $(stat -c %Y "$HEARTBEAT") <= 10)); }
script_hash() { sha256sum <"$SCRIPT" | cut -c1-16; }

up() {
  have node || missing "no node on PATH"
  [[ -s $KUBECONFIG_FILE ]] || missing "the bench's Kubernetes is not up (no $KUBECONFIG_FILE)"
  http_answers "$MOTO_URL/moto-api/" || missing "moto is not answering on $MOTO_URL"
  mkdir -p "$DIR"
  # A running stand-in from an older script is restarted, so an edit takes effect on the next up.
  if ours && [[ $(cat "$DIR/standin.hash" 2>/dev/null) != "$(script_hash)" ]]; then
    log "nodegroup-standin.mjs changed; restarting the stand-in"
    stop_pidfile "$PIDFILE" nodegroups
  fi
  if ours && fresh; then
    echo "nodegroups: already up (pid $(<"$PIDFILE"))"
    return 0
  fi
  if ! ours; then
    rm -f "$HEARTBEAT"
    script_hash >"$DIR/standin.hash"
    # The SDK and client-node come from the repository's node_modules (the script lives in it).
    KUBECONFIG=$KUBECONFIG_FILE AWS_ENDPOINT_URL=$MOTO_URL AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=testing \
      AWS_SECRET_ACCESS_KEY=testing AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true MLP_BENCH_NODEGROUP_HEARTBEAT=$HEARTBEAT \
      setsid node "$SCRIPT" >>"$LOGFILE" 2>&1 </dev/null &
    echo $! >"$PIDFILE"
    echo "nodegroups: starting the nodegroup stand-in"
  fi
  await_own_start nodegroup-standin "$LOGFILE" "$WAIT" fresh
  echo "nodegroups: up (pid $(<"$PIDFILE"), log $LOGFILE); stop it with: bash test/bench/nodegroups.sh down"
}

down() { stop_pidfile "$PIDFILE" nodegroups; }

status() {
  if ours && fresh; then
    echo "nodegroups: up (pid $(<"$PIDFILE"))"
  else
    echo "nodegroups: down"
    return 1
  fi
}

run_verb "$@"
