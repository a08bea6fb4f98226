#!/usr/bin/env bash
# kube.sh install|up|down|status — a real Kubernetes control plane on 127.0.0.1 for the tests: etcd, kube-apiserver,
# kube-controller-manager and kube-scheduler, built from Go modules (test/bench/kube/build/*/go.mod pin the versions),
# plus kwok, which plays the kubelet of two fake nodes so pods are scheduled and turn Ready without containers
# (test/bench/kube/kwok-stages.yaml says how pods move; some images are made to fail on purpose).
# `install` builds the binaries into $cache/kube/<kubernetes version>/bin; `up` starts them (state, certificates and
# logs under $cache/kube) and writes an admin kubeconfig to $cache/kube/kubeconfig.
set -euo pipefail
# shellcheck source=test/bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BUILD=$BENCH_DIR/kube/build
STAGES=$BENCH_DIR/kube/kwok-stages.yaml
# module_version DIR MODULE: the version a wrapper module's go.mod pins (tidy lists it as "// indirect").
module_version() { awk -v m="$2" '$1 == m && $2 ~ /^v/ { print $2; exit }' "$BUILD/$1/go.mod"; }
KUBE_VERSION=$(module_version kubernetes k8s.io/kubernetes)
ETCD_VERSION=$(module_version etcd go.etcd.io/etcd/server/v3)
KWOK_VERSION=$(module_version kwok sigs.k8s.io/kwok)
DIR=$BENCH_CACHE/kube
BIN=$DIR/$KUBE_VERSION/bin
PKI=$DIR/pki
KUBECONFIG_FILE=$DIR/kubeconfig
PROMETHEUS_OPERATOR_VERSION=v0.85.0
SERVICEMONITOR_CRD=$DIR/servicemonitors.crd.yaml
PORT=${MLP_BENCH_KUBE_PORT:-6443}
ETCD_PORT=${MLP_BENCH_KUBE_ETCD_PORT:-12379}
# Fixed: the controller-manager's, the scheduler's and kwok's health ports (all on 127.0.0.1).
CM_PORT=10257
SCHED_PORT=10259
KWOK_PORT=10247
WAIT=${MLP_BENCH_KUBE_WAIT:-90}
SERVICE_CIDR=10.96.0.0/16
NODES=(kwok-node-0 kwok-node-1)
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)

# lock: hold $DIR/.lock until this script exits, so two runs (a developer's and vitest's up.sh) do not interleave.
lock() {
  [[ -z ${LOCKED:-} ]] || return 0
  LOCKED=1
  mkdir -p "$DIR"
  exec 9>"$DIR/.lock"
  flock -w 900 9 || die "another kube.sh still holds $DIR/.lock after 900 s"
}

# --- install ---------------------------------------------------------------------------------------------------

find_go() {
  if have go; then command -v go; elif [[ -x /usr/local/go/bin/go ]]; then echo /usr/local/go/bin/go; else return 1; fi
}

# build NAME WRAPPER PACKAGE LDFLAGS: go build PACKAGE inside the wrapper module into $BIN/NAME, unless the binary
# there was built from the same go.mod, go.sum and flags (the stamp beside it records their hash).
build() {
  local name=$1 wrapper=$BUILD/$2 pkg=$3 ldflags=$4 stamp start goversion try
  goversion=$("$GO" env GOVERSION)
  stamp=$(cat "$wrapper/go.mod" "$wrapper/go.sum" <(echo "$pkg $ldflags $goversion") | sha256sum | cut -c1-16)
  if [[ -x $BIN/$name && $(cat "$BIN/.$name.stamp" 2>/dev/null) == "$stamp" ]]; then
    echo "kube: $name present ($BIN/$name)"
    return 0
  fi
  echo "kube: building $name from $pkg ($goversion; minutes on a cold cache)"
  start=$SECONDS
  # CGO off like the upstream release builds: static binaries, no C toolchain needed. A second try covers a
  # module download that failed half-way (what was fetched stays in the module cache).
  for try in 1 2; do
    (cd "$wrapper" && CGO_ENABLED=0 "$GO" build -mod=readonly -buildvcs=false -trimpath -ldflags "-s -w $ldflags" \
      -o "$BIN/$name.tmp" "$pkg") && break
    ((try == 1)) || die "go build $pkg failed"
    log "go build $pkg failed; trying once more"
  done
  mv "$BIN/$name.tmp" "$BIN/$name"
  echo "$stamp" >"$BIN/.$name.stamp"
  echo "kube: built $name in $((SECONDS - start)) s"
}

install() {
  GO=$(find_go) || die "go not found (need Go >= 1.26 on PATH or at /usr/local/go/bin/go)"
  lock
  mkdir -p "$BIN"
  # What the kubernetes release build stamps (hack/lib/version.sh); without it the API server reports v0.0.0.
  local minor=${KUBE_VERSION#v1.} kv='' pkg key val
  minor=${minor%%.*}
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    for key in "gitVersion=$KUBE_VERSION" gitMajor=1 "gitMinor=$minor" gitTreeState=clean gitCommit= \
      "buildDate=1970-01-01T00:00:00Z"; do
      val=${key#*=}
      kv+=" -X $pkg.${key%%=*}=$val"
    done
  done
  local cmd
  for cmd in kube-apiserver kube-controller-manager kube-scheduler; do
    build "$cmd" kubernetes "k8s.io/kubernetes/cmd/$cmd" "${kv# }"
  done
  build etcd etcd go.etcd.io/etcd/server/v3 ''
  build kwok kwok sigs.k8s.io/kwok/cmd/kwok "-X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION"
  fetch_servicemonitor_crd
  echo "kube: binaries in $BIN (kubernetes $KUBE_VERSION, etcd $ETCD_VERSION, kwok $KWOK_VERSION)"
}

# The Prometheus Operator's own ServiceMonitor CRD, from its Go module (the module proxy serves the whole
# repository), so that the cluster is one where mlp deploy renders and applies ServiceMonitors.
fetch_servicemonitor_crd() {
  [[ -s $SERVICEMONITOR_CRD ]] && return 0
  local dir
  dir=$(cd "$DIR" && GOFLAGS=-mod=mod "$GO" mod download -json "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION" |
    awk -F'"' '$2 == "Dir" { print $4 }') || die "go mod download prometheus-operator $PROMETHEUS_OPERATOR_VERSION failed"
  cp "$dir/example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml" "$SERVICEMONITOR_CRD.tmp"
  mv "$SERVICEMONITOR_CRD.tmp" "$SERVICEMONITOR_CRD"
  echo "kube: ServiceMonitor CRD from prometheus-operator $PROMETHEUS_OPERATOR_VERSION"
}

# Installs the ServiceMonitor CRD unless the API server has it (the API server takes YAML bodies).
install_servicemonitor_crd() {
  [[ -s $SERVICEMONITOR_CRD ]] || return 0
  kapi GET /apis/apiextensions.k8s.io/v1/customresourcedefinitions/servicemonitors.monitoring.coreos.com >/dev/null 2>&1 && return 0
  kapi POST /apis/apiextensions.k8s.io/v1/customresourcedefinitions -H 'Content-Type: application/yaml' \
    --data-binary "@$SERVICEMONITOR_CRD" >/dev/null || die "installing the ServiceMonitor CRD failed"
  local deadline=$((SECONDS + 30))
  until kapi GET /apis/monitoring.coreos.com/v1 >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "the ServiceMonitor CRD was created but monitoring.coreos.com/v1 is not served"
    sleep 0.3
  done
}

# --- helpers ---------------------------------------------------------------------------------------------------

# kapi METHOD PATH [CURL ARGS...]: call the API server as the bench admin; prints the body, fails on HTTP >= 400.
kapi() {
  local method=$1 path=$2
  shift 2
  # Not curl's user agent: the API server pretty-prints JSON for curl, and the checks here match compact JSON.
  curl -sS -m 10 --fail-with-body -A mlp-bench-kube.sh --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" \
    -X "$method" "https://127.0.0.1:$PORT$path" "$@"
}

etcd_ok() { [[ $(curl -s -m 3 "http://127.0.0.1:$ETCD_PORT/health" 2>/dev/null) == *'"health":"true"'* ]]; }
apiserver_ok() { [[ $(kapi GET /readyz 2>/dev/null) == ok ]]; }
# The controller-manager, the scheduler and kwok serve /healthz over TLS to anyone (their own self-signed certs).
healthz_ok() { [[ $(curl -sk -m 3 "https://127.0.0.1:$1/healthz" 2>/dev/null) == ok ]]; }
component_ok() {
  case $1 in
    etcd) etcd_ok ;;
    kube-apiserver) apiserver_ok ;;
    kube-controller-manager) healthz_ok "$CM_PORT" ;;
    kube-scheduler) healthz_ok "$SCHED_PORT" ;;
    kwok) healthz_ok "$KWOK_PORT" ;;
  esac
}
node_ready() { [[ $(kapi GET "/api/v1/nodes/$1" 2>/dev/null) == *'"type":"Ready","status":"True"'* ]]; }
nodes_ready() {
  local n
  for n in "${NODES[@]}"; do node_ready "$n" || return 1; done
}

# fail NAME WHY: say why and show the end of the component's log.
fail() {
  log "error: $1 $2; last lines of $DIR/$1.log:"
  tail -n 25 "$DIR/$1.log" >&2 || true
  exit 1
}

# start NAME ARGS...: start $BIN/NAME unless it answers already (or our earlier start is still coming up), then wait
# until it answers, failing at once when it exits.
start() {
  local name=$1 pidfile=$DIR/$1.pid deadline
  shift
  if component_ok "$name"; then
    echo "kube: $name already up"
    return 0
  fi
  if pid_alive "$pidfile"; then
    log "$name (pid $(<"$pidfile")) running but not healthy yet; waiting"
  else
    echo "--- $(date -u +%Y-%m-%dT%H:%M:%SZ) kube.sh up: $BIN/$name $*" >>"$DIR/$name.log"
    # 9>&-: the component must not inherit the lock (it would hold it for as long as it runs).
    setsid "$BIN/$name" "$@" >>"$DIR/$name.log" 2>&1 </dev/null 9>&- &
    echo $! >"$pidfile"
    echo "kube: starting $name (pid $!)"
  fi
  deadline=$((SECONDS + WAIT))
  until component_ok "$name"; do
    pid_alive "$pidfile" || fail "$name" "exited during start-up"
    ((SECONDS < deadline)) || fail "$name" "did not become healthy within $WAIT s"
    sleep 0.3
  done
}

# Certificates, made once: a CA, the API server's serving cert, the service-account signing key pair, an admin
# client cert in system:masters (what every component and the tests use) and the front proxy's client cert (the
# request-header authentication that the controller-manager and scheduler look up; one CA for all: a bench).
PKI_FILES=(ca.crt ca.key apiserver.crt apiserver.key admin.crt admin.key front-proxy-client.crt front-proxy-client.key
  sa.key sa.pub)
pki_complete() {
  local f
  for f in "${PKI_FILES[@]}"; do [[ -s $PKI/$f ]] || return 1; done
}

make_pki() {
  have openssl || missing "openssl not installed"
  rm -rf "$PKI"
  mkdir -p "$PKI"
  (
    cd "$PKI"
    local days=3650
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days "$days" -subj /CN=mlp-bench-ca \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
    # sign NAME SUBJECT EXTENSIONS: a key and a CA-signed certificate.
    sign() {
      openssl req -new -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2"
      openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -set_serial "0x$(openssl rand -hex 8)" -days "$days" \
        -out "$1.crt" -extfile <(printf '%s\n' "$3")
      rm -f "$1.csr"
    }
    sign apiserver /CN=kube-apiserver "$(printf '%s\n' \
      'basicConstraints=CA:FALSE' 'keyUsage=critical,digitalSignature,keyEncipherment' 'extendedKeyUsage=serverAuth' \
      "subjectAltName=IP:127.0.0.1,IP:${SERVICE_CIDR%.0/*}.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local")"
    local client
    client=$(printf '%s\n' 'basicConstraints=CA:FALSE' 'keyUsage=critical,digitalSignature,keyEncipherment' \
      'extendedKeyUsage=clientAuth')
    sign admin /O=system:masters/CN=mlp-bench-admin "$client"
    sign front-proxy-client /CN=front-proxy-client "$client"
    openssl genrsa -out sa.key 2048
    openssl rsa -in sa.key -pubout -out sa.pub
    chmod 600 ./*.key
  ) >"$DIR/pki.log" 2>&1 || true
  pki_complete || die "openssl did not make every certificate in $PKI; see $DIR/pki.log"
}

write_kubeconfig() {
  local b64='base64 -w0' tmp=$KUBECONFIG_FILE.tmp
  cat >"$tmp" <<YAML
apiVersion: v1
kind: Config
clusters:
- name: mlp-bench
  cluster:
    server: https://127.0.0.1:$PORT
    certificate-authority-data: $($b64 <"$PKI/ca.crt")
users:
- name: mlp-bench-admin
  user:
    client-certificate-data: $($b64 <"$PKI/admin.crt")
    client-key-data: $($b64 <"$PKI/admin.key")
contexts:
- name: mlp-bench
  context:
    cluster: mlp-bench
    user: mlp-bench-admin
current-context: mlp-bench
YAML
  chmod 600 "$tmp"
  mv "$tmp" "$KUBECONFIG_FILE"
}

# The fake nodes: kwok manages nodes with this annotation. Created with their status (capacity is taken from the
# create; kwok's node-initialize stage keeps it); an existing node is left as it is.
create_nodes() {
  local n body out resources='{"cpu":"8","memory":"32Gi","pods":"110"}'
  for n in "${NODES[@]}"; do
    body='{"apiVersion":"v1","kind":"Node","metadata":{"name":"'$n'",
      "annotations":{"kwok.x-k8s.io/node":"fake","node.alpha.kubernetes.io/ttl":"0"},
      "labels":{"type":"kwok","kubernetes.io/hostname":"'$n'","kubernetes.io/os":"linux","kubernetes.io/arch":"amd64",
        "beta.kubernetes.io/os":"linux","beta.kubernetes.io/arch":"amd64","node.kubernetes.io/instance-type":"m5.xlarge"}},
      "status":{"capacity":'$resources',"allocatable":'$resources',
        "nodeInfo":{"architecture":"amd64","operatingSystem":"linux"}}}'
    out=$(kapi POST /api/v1/nodes -H 'Content-Type: application/json' -d "$body" 2>&1) ||
      [[ $out == *'"AlreadyExists"'* ]] || die "creating node $n failed: $out"
  done
}

# The API server's flags, one per line. ResourceQuota, LimitRanger and ServiceAccount are in the default admission
# set; named here because the tests and mlp rely on them. PodNodeSelector and PodTolerationRestriction let a namespace
# carry a node selector and default tolerations (annotations): the tests put a namespace's pods on the real node
# (test/bench/node.sh) that way, without changing what mlp renders.
apiserver_args() {
  printf '%s\n' --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
    --bind-address 127.0.0.1 --secure-port "$PORT" \
    --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" --client-ca-file "$PKI/ca.crt" \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" \
    --service-cluster-ip-range "$SERVICE_CIDR" --authorization-mode Node,RBAC --allow-privileged=true \
    --requestheader-client-ca-file "$PKI/ca.crt" --requestheader-allowed-names front-proxy-client \
    --requestheader-username-headers X-Remote-User --requestheader-group-headers X-Remote-Group \
    --requestheader-extra-headers-prefix X-Remote-Extra- \
    --proxy-client-cert-file "$PKI/front-proxy-client.crt" --proxy-client-key-file "$PKI/front-proxy-client.key" \
    --enable-admission-plugins NodeRestriction,LimitRanger,ServiceAccount,ResourceQuota,PodNodeSelector,PodTolerationRestriction \
    --profiling=false --v 1
}
apiserver_hash() { { apiserver_args; cat "$BIN/.kube-apiserver.stamp" 2>/dev/null || true; } | sha256sum | cut -c1-16; }

# --- verbs -----------------------------------------------------------------------------------------------------

all_ok() {
  local c
  for c in "${COMPONENTS[@]}"; do component_ok "$c" || return 1; done
  nodes_ready
}

# kwok reads the stages file only at start: a running kwok with an older file is restarted by `up`.
stages_hash() { sha256sum <"$STAGES" | cut -c1-16; }
stages_current() { [[ $(cat "$DIR/kwok-stages.hash" 2>/dev/null) == "$(stages_hash)" ]]; }

up() {
  have curl || missing "curl not installed"
  if component_ok kwok && ! stages_current; then
    stop_pidfile "$DIR/kwok.pid" kwok
  fi
  if pki_complete && [[ -s $KUBECONFIG_FILE ]] && all_ok && [[ $(cat "$DIR/kube-apiserver.hash" 2>/dev/null) == "$(apiserver_hash)" ]]; then
    install_servicemonitor_crd
    echo "kube: already up on https://127.0.0.1:$PORT (kubeconfig $KUBECONFIG_FILE)"
    return 0
  fi
  local c
  for c in "${COMPONENTS[@]}"; do
    [[ -x $BIN/$c ]] || missing "no $c in $BIN (built by bash test/bench/kube.sh install)"
  done
  lock
  mkdir -p "$DIR/etcd-data"
  if ! pki_complete; then
    down >/dev/null # anything still running from before uses the certificates that are about to be replaced
    make_pki
  fi
  write_kubeconfig
  # Something else on the API server's port would make the start below fail with a confusing bind error.
  if ! apiserver_ok && ! pid_alive "$DIR/kube-apiserver.pid" && (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    die "something that is not the bench's API server answers on 127.0.0.1:$PORT; set MLP_BENCH_KUBE_PORT"
  fi

  start etcd --name mlp-bench --data-dir "$DIR/etcd-data" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" \
    --initial-advertise-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" \
    --initial-cluster "mlp-bench=http://127.0.0.1:$((ETCD_PORT + 1))" \
    --auto-compaction-retention 1 --quota-backend-bytes $((2 * 1024 * 1024 * 1024)) \
    --log-level warn
  # A running API server started with other flags (an older kube.sh) is restarted with these.
  local api_args
  mapfile -t api_args < <(apiserver_args)
  if [[ $(cat "$DIR/kube-apiserver.hash" 2>/dev/null) != "$(apiserver_hash)" ]] && pid_alive "$DIR/kube-apiserver.pid"; then
    log "the API server's flags changed; restarting it"
    stop_pidfile "$DIR/kube-apiserver.pid" kube-apiserver
  fi
  apiserver_hash >"$DIR/kube-apiserver.hash"
  start kube-apiserver "${api_args[@]}"
  start kube-controller-manager --kubeconfig "$KUBECONFIG_FILE" \
    --authentication-kubeconfig "$KUBECONFIG_FILE" --authorization-kubeconfig "$KUBECONFIG_FILE" \
    --bind-address 127.0.0.1 --secure-port "$CM_PORT" --leader-elect=false --use-service-account-credentials=true \
    --root-ca-file "$PKI/ca.crt" --service-account-private-key-file "$PKI/sa.key" \
    --cluster-signing-cert-file "$PKI/ca.crt" --cluster-signing-key-file "$PKI/ca.key" \
    --service-cluster-ip-range "$SERVICE_CIDR" --kube-api-qps 100 --kube-api-burst 200 --profiling=false --v 1
  start kube-scheduler --kubeconfig "$KUBECONFIG_FILE" \
    --authentication-kubeconfig "$KUBECONFIG_FILE" --authorization-kubeconfig "$KUBECONFIG_FILE" \
    --bind-address 127.0.0.1 --secure-port "$SCHED_PORT" --leader-elect=false --profiling=false --v 1
  # The nodes' InternalIP and kubelet port are kwok's own server, so whatever the API server sends "to a kubelet"
  # (logs, exec) stays on loopback. Pod IPs come from kwok's default 10.0.0.0/24 and answer nowhere: never connect to
  # them (nor through the API server's service/pod proxy), it would send packets off this machine.
  stages_hash >"$DIR/kwok-stages.hash"
  start kwok --kubeconfig "$KUBECONFIG_FILE" --config "$STAGES" \
    --manage-all-nodes=false --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
    --node-ip 127.0.0.1 --node-port "$KWOK_PORT" --server-address "127.0.0.1:$KWOK_PORT" \
    --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
    --node-lease-duration-seconds 40

  create_nodes
  local deadline=$((SECONDS + WAIT))
  until nodes_ready; do
    ((SECONDS < deadline)) || fail kwok "did not make the nodes ${NODES[*]} Ready within $WAIT s"
    sleep 0.3
  done
  install_servicemonitor_crd
  echo "kube: up on https://127.0.0.1:$PORT (kubernetes $KUBE_VERSION, etcd $ETCD_VERSION, kwok $KWOK_VERSION;" \
    "nodes ${NODES[*]}; kubeconfig $KUBECONFIG_FILE; logs $DIR/*.log); stop it with: bash test/bench/kube.sh down"
}

down() {
  local i
  lock
  for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do
    stop_pidfile "$DIR/${COMPONENTS[i]}.pid" "${COMPONENTS[i]}"
  done
}

status() {
  local c rc=0 pid
  for c in "${COMPONENTS[@]}"; do
    pid=''
    pid_alive "$DIR/$c.pid" && pid=" (bench pid $(<"$DIR/$c.pid"))"
    if component_ok "$c"; then echo "kube: $c up$pid"; else echo "kube: $c down$pid"; rc=1; fi
  done
  if ((rc == 0)) && nodes_ready; then
    echo "kube: nodes ${NODES[*]} Ready; kubeconfig $KUBECONFIG_FILE"
  elif ((rc == 0)); then
    echo "kube: nodes ${NODES[*]} not Ready"
    rc=1
  fi
  return "$rc"
}

case ${1:-} in
  install | up | down | status) "$1" ;;
  *) echo "usage: $0 install|up|down|status" >&2; exit 2 ;;
esac
