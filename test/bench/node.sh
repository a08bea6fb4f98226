#!/usr/bin/env bash
# node.sh install|up|down|status — one REAL worker node for the bench cluster (test/bench/kube.sh): a kubelet built
# from the same k8s.io/kubernetes module as the API server (test/bench/kube/build/kubernetes/go.mod), Debian's
# containerd as its own instance (own root, state and socket; the Docker engine's containerd is untouched), Debian's
# runc, and pod networking from Debian's containernetworking-plugins (bridge, host-local, loopback, portmap, firewall).
# Nothing is pulled: the sandbox (pause) image is the Kubernetes repository's build/pause/linux/pause.c compiled
# statically into a one-layer OCI image made here and imported into the node's containerd; pods pull from the bench
# registry (127.0.0.1:5000, plain HTTP) through containerd's registry hosts (certs.d/127.0.0.1:5000/hosts.toml).
#
# The node ($NODE_NAME) registers with the machine's real architecture, labelled mlp.dev/bench-node=real and tainted
# mlp.dev/real-node=true:NoSchedule, so that only pods tolerating the taint land on it and everything else keeps
# landing on kwok's fake nodes. Its address is $NODE_IP on a bridge of its own ($BRIDGE, also the pods' gateway; pod
# IPs from $POD_CIDR): everything stays on this machine. The API server reaches the kubelet there (port-forward, logs,
# exec); kube-proxy is not run (port-forward does not need it; Services do not route to this node's pods).
# moto listens on 127.0.0.1 only, which a pod's 127.0.0.1 is not: socat relays $NODE_IP:$BENCH_MOTO_PORT to it, so
# pods reach moto (S3 for a training Job's upload) at http://$NODE_IP:$BENCH_MOTO_PORT, an address only pods and
# this machine have.
#
# `install` builds the kubelet into $cache/kube/<kubernetes version>/bin and the pause image into $cache/node; `up`
# checks what the node needs (root, kernel, cgroups, runtime, CNI, built files, the control plane) and exits
# $BENCH_MISSING with one "missing: <check>: <why>" line when one is not there, then starts containerd and the
# kubelet and waits for the node to be Ready; `down` stops both, kills the node's containers and removes the Node.
set -euo pipefail
# shellcheck source=test/bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BUILD=$BENCH_DIR/kube/build/kubernetes
KUBE_VERSION=$(awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v/ { print $2; exit }' "$BUILD/go.mod")
KUBE_DIR=$BENCH_CACHE/kube
BIN=$KUBE_DIR/$KUBE_VERSION/bin
KPKI=$KUBE_DIR/pki
API_PORT=${MLP_BENCH_KUBE_PORT:-6443}
NODE_NAME=${MLP_BENCH_NODE_NAME:-mlp-bench-node}
DIR=$BENCH_CACHE/node
# containerd's state (sockets, shims' bundles, pods' network namespaces), on /run as /run/containerd is.
RUN=/run/mlp-bench-node
SOCK=$RUN/containerd.sock
CNI_BIN=${MLP_BENCH_CNI_BIN:-/usr/lib/cni}
CNI_PLUGINS=(bridge host-local loopback portmap firewall)
BRIDGE=mlpbench0
POD_CIDR=10.244.0.0/24
NODE_IP=10.244.0.1
KUBELET_PORT=10250
HEALTHZ_PORT=10248
WAIT=${MLP_BENCH_NODE_WAIT:-120}
PAUSE_VERSION=3.10.1
PAUSE_IMAGE=localhost/mlp-bench/pause:$PAUSE_VERSION
PAUSE_TAR=$DIR/pause-$PAUSE_VERSION.oci.tar
LABEL_KEY=mlp.dev/bench-node
LABEL_VALUE=real
TAINT_KEY=mlp.dev/real-node
HOSTS_MARK="# mlp-bench node.sh"
# The kernel settings the kubelet changes at start (pkg/kubelet/cm setupKernelTunables); `down` puts back the values
# saved before the first start.
SYSCTLS=(vm/overcommit_memory vm/panic_on_oom kernel/panic kernel/panic_on_oops kernel/keys/root_maxkeys
  kernel/keys/root_maxbytes)

mkdir -p "$DIR"

lock() {
  [[ -z ${LOCKED:-} ]] || return 0
  LOCKED=1
  exec 9>"$DIR/.lock"
  flock -w 900 9 || die "another node.sh still holds $DIR/.lock after 900 s"
}

# cap_sys_resource: "yes" when this process has CAP_SYS_RESOURCE (bit 24 of CapEff).
cap_sys_resource() {
  local eff
  eff=$(awk '$1 == "CapEff:" { print $2 }' /proc/self/status)
  if (((16#${eff:-0} >> 24) & 1)); then echo yes; else echo no; fi
}

pkg_installed() { [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == 'install ok installed' ]]; }

# --- install ---------------------------------------------------------------------------------------------------

find_go() {
  if have go; then command -v go; elif [[ -x /usr/local/go/bin/go ]]; then echo /usr/local/go/bin/go; else return 1; fi
}

# What the kubernetes release build stamps (hack/lib/version.sh), as kube.sh does for the control plane.
version_ldflags() {
  local minor=${KUBE_VERSION#v1.} kv='' pkg key
  minor=${minor%%.*}
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    for key in "gitVersion=$KUBE_VERSION" gitMajor=1 "gitMinor=$minor" gitTreeState=clean gitCommit= \
      "buildDate=1970-01-01T00:00:00Z"; do
      kv+=" -X $pkg.${key%%=*}=${key#*=}"
    done
  done
  echo "${kv# }"
}

build_kubelet() {
  local go pkg=k8s.io/kubernetes/cmd/kubelet ldflags stamp start try
  go=$(find_go) || die "go not found (need Go >= 1.26 on PATH or at /usr/local/go/bin/go)"
  ldflags="-s -w $(version_ldflags)"
  stamp=$(cat "$BUILD/go.mod" "$BUILD/go.sum" <(echo "$pkg $ldflags $("$go" env GOVERSION)") | sha256sum | cut -c1-16)
  if [[ -x $BIN/kubelet && $(cat "$BIN/.kubelet.stamp" 2>/dev/null) == "$stamp" ]]; then
    echo "node: kubelet present ($BIN/kubelet)"
    return 0
  fi
  mkdir -p "$BIN"
  echo "node: building kubelet from $pkg (minutes on a cold cache)"
  start=$SECONDS
  for try in 1 2; do
    (cd "$BUILD" && CGO_ENABLED=0 "$go" build -mod=readonly -buildvcs=false -trimpath -ldflags "$ldflags" \
      -o "$BIN/kubelet.tmp" "$pkg") && break
    ((try == 1)) || die "go build $pkg failed"
    log "go build $pkg failed; trying once more"
  done
  mv "$BIN/kubelet.tmp" "$BIN/kubelet"
  echo "$stamp" >"$BIN/.kubelet.stamp"
  echo "node: built kubelet in $((SECONDS - start)) s"
}

# The sandbox image: pause.c from the k8s.io/kubernetes module (the module proxy serves the whole repository),
# compiled as its Makefile does (-Os -static), in a one-layer OCI image archive that `ctr images import` takes.
build_pause() {
  local go src work stamp
  go=$(find_go) || die "go not found"
  src=$(cd "$BUILD" && "$go" list -mod=readonly -m -f '{{.Dir}}' k8s.io/kubernetes)/build/pause/linux/pause.c
  [[ -s $src ]] || die "no $src in the module cache (cd $BUILD && go mod download k8s.io/kubernetes)"
  stamp=$(cat "$src" <(echo "$PAUSE_IMAGE") | sha256sum | cut -c1-16)
  if [[ -s $PAUSE_TAR && $(cat "$PAUSE_TAR.stamp" 2>/dev/null) == "$stamp" ]]; then
    echo "node: pause image present ($PAUSE_TAR)"
    return 0
  fi
  have gcc || die "gcc not found (apt-get install gcc libc6-dev)"
  work=$(mktemp -d)
  # shellcheck disable=SC2064 # expand now: work is local.
  trap "rm -rf '$work'" RETURN
  mkdir -p "$work/rootfs" "$work/oci/blobs/sha256"
  gcc -Os -Wall -Werror -static -DVERSION="v$PAUSE_VERSION-mlp-bench" -o "$work/rootfs/pause" "$src" ||
    die "gcc -static $src failed (needs libc6-dev for libc.a)"
  strip "$work/rootfs/pause" 2>/dev/null || true
  "$work/rootfs/pause" -v >/dev/null || die "the pause binary built from $src does not run"
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$work/rootfs" -cf "$work/layer.tar" pause
  # blob FILE: move FILE into the layout under its digest; print "<digest> <size>".
  blob() {
    local d s
    d=$(sha256sum "$1" | cut -d' ' -f1)
    s=$(stat -c %s "$1")
    mv "$1" "$work/oci/blobs/sha256/$d"
    echo "sha256:$d $s"
  }
  local layer layer_size config config_size manifest manifest_size
  read -r layer layer_size < <(blob "$work/layer.tar")
  printf '%s' '{"architecture":"amd64","os":"linux","config":{"Entrypoint":["/pause"],"User":"65535:65535"},'\
'"rootfs":{"type":"layers","diff_ids":["'"$layer"'"]},"history":[{"created_by":"mlp-bench node.sh: pause.c -static"}]}' \
    >"$work/config.json"
  read -r config config_size < <(blob "$work/config.json")
  printf '%s' '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",'\
'"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"'"$config"'","size":'"$config_size"'},'\
'"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"'"$layer"'","size":'"$layer_size"'}]}' \
    >"$work/manifest.json"
  read -r manifest manifest_size < <(blob "$work/manifest.json")
  printf '%s' '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{'\
'"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"'"$manifest"'","size":'"$manifest_size"','\
'"platform":{"architecture":"amd64","os":"linux"},'\
'"annotations":{"io.containerd.image.name":"'"$PAUSE_IMAGE"'","org.opencontainers.image.ref.name":"'"$PAUSE_VERSION"'"}}]}' \
    >"$work/oci/index.json"
  echo '{"imageLayoutVersion":"1.0.0"}' >"$work/oci/oci-layout"
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$work/oci" -cf "$PAUSE_TAR.tmp" .
  mv "$PAUSE_TAR.tmp" "$PAUSE_TAR"
  echo "$stamp" >"$PAUSE_TAR.stamp"
  echo "node: built the pause image $PAUSE_IMAGE ($PAUSE_TAR)"
}

install() {
  lock
  local wanted=(containerd runc containernetworking-plugins iptables socat gcc libc6-dev) pkg missing_pkgs=()
  if have dpkg-query; then
    for pkg in "${wanted[@]}"; do pkg_installed "$pkg" || missing_pkgs+=("$pkg"); done
  fi
  if ((${#missing_pkgs[@]} > 0)); then
    [[ $(id -u) == 0 ]] || die "need root to apt-get install ${missing_pkgs[*]}"
    echo "node: apt-get install ${missing_pkgs[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing_pkgs[@]}" >/dev/null
  else
    echo "node: apt packages present (${wanted[*]})"
  fi
  build_kubelet
  build_pause
}

# --- checks ----------------------------------------------------------------------------------------------------

# What the node needs of this machine. Each failed check is one "missing: <check>: <why>" line (up.sh shows it).
check_prerequisites() {
  local p c probe
  [[ $(id -u) == 0 ]] || missing "root: the kubelet and containerd must run as root (this is uid $(id -u))"
  # kernel
  grep -qw overlay /proc/filesystems 2>/dev/null || missing "kernel: no overlay filesystem (containerd's overlayfs snapshotter)"
  if ! have unshare || ! unshare --net true 2>/dev/null; then
    missing "kernel: cannot create a network namespace (unshare --net)"
  fi
  have ip || missing "kernel: no ip command (iproute2) to make the node's bridge"
  have socat || missing "network: socat not installed, which relays the pods' way to moto (apt-get install socat)"
  if ! have iptables || ! iptables -S INPUT >/dev/null 2>&1; then
    missing "kernel: iptables cannot list rules (the CNI portmap and firewall plugins need it)"
  fi
  # cgroups: v1 with the cgroupfs driver (the kubelet is told failCgroupV1: false), or v2.
  if [[ $(stat -fc %T /sys/fs/cgroup 2>/dev/null) == cgroup2fs ]]; then
    for c in cpu memory pids; do
      grep -qw "$c" /sys/fs/cgroup/cgroup.controllers 2>/dev/null || missing "cgroups: v2 without the $c controller"
    done
  else
    for c in cpu cpuacct cpuset memory pids; do
      awk -v c="$c" '$3 ~ /^cgroup$/ && ("," $4 ",") ~ ("," c ",") { f = 1 } END { exit !f }' /proc/mounts ||
        missing "cgroups: v1 hierarchy $c is not mounted"
    done
    probe=/sys/fs/cgroup/memory/mlp-bench-node-probe.$$
    mkdir "$probe" 2>/dev/null || missing "cgroups: cannot create a memory cgroup under /sys/fs/cgroup/memory"
    rmdir "$probe"
  fi
  # runtime
  for p in containerd containerd-shim-runc-v2 ctr runc; do
    have "$p" || missing "runtime: $p not installed (apt-get install containerd runc; or bash test/bench/node.sh install)"
  done
  # CNI
  for p in "${CNI_PLUGINS[@]}"; do
    [[ -x $CNI_BIN/$p ]] || missing "CNI: no $p plugin in $CNI_BIN (apt-get install containernetworking-plugins)"
  done
  # what node.sh install builds
  [[ -x $BIN/kubelet ]] || missing "kubelet: no $BIN/kubelet (built by bash test/bench/node.sh install)"
  [[ -s $PAUSE_TAR ]] || missing "pause image: no $PAUSE_TAR (built by bash test/bench/node.sh install)"
  # the control plane it joins
  [[ -s $KPKI/ca.crt && -s $KPKI/ca.key && -s $KPKI/admin.crt ]] || missing "kube: no bench PKI in $KPKI (bash test/bench/kube.sh up)"
  apiserver_ok || missing "kube: the bench API server does not answer on 127.0.0.1:$API_PORT (bash test/bench/kube.sh up)"
}

# --- helpers ---------------------------------------------------------------------------------------------------

kapi() {
  local method=$1 path=$2
  shift 2
  curl -sS -m 10 --fail-with-body -A mlp-bench-node.sh --cacert "$KPKI/ca.crt" --cert "$KPKI/admin.crt" \
    --key "$KPKI/admin.key" -X "$method" "https://127.0.0.1:$API_PORT$path" "$@"
}
apiserver_ok() { [[ $(kapi GET /readyz 2>/dev/null) == ok ]]; }
cctr() { ctr -a "$SOCK" -n k8s.io "$@"; }
containerd_ok() { [[ -S $SOCK ]] && ctr -a "$SOCK" version >/dev/null 2>&1; }
# CRI is served: the plugin loaded (it fails to load, for instance, without a usable snapshotter).
cri_ok() { ctr -a "$SOCK" plugins ls 2>/dev/null | awk '$2 == "cri" && $4 == "ok" { f = 1 } END { exit !f }'; }
kubelet_ok() { [[ $(curl -s -m 3 "http://127.0.0.1:$HEALTHZ_PORT/healthz" 2>/dev/null) == ok ]]; }
node_json() { kapi GET "/api/v1/nodes/$NODE_NAME" 2>/dev/null; }
node_ready() { [[ $(node_json) == *'"type":"Ready","status":"True"'* ]]; }

# fail NAME WHY: say why, with the end of the component's log.
fail() {
  log "error: $1 $2; last lines of $DIR/$1.log:"
  tail -n 30 "$DIR/$1.log" >&2 || true
  echo "node: $1 $2 (see $DIR/$1.log)"
  exit 1
}

# spawn NAME PIDFILE ARGS...: start ARGS in its own session, logging to $DIR/NAME.log.
spawn() {
  local name=$1 pidfile=$2
  shift 2
  echo "--- $(date -u +%Y-%m-%dT%H:%M:%SZ) node.sh up: $*" >>"$DIR/$name.log"
  setsid "$@" >>"$DIR/$name.log" 2>&1 </dev/null 9>&- &
  echo $! >"$pidfile"
  echo "node: starting $name (pid $!)"
}

# await NAME PIDFILE CHECK...: wait for CHECK, failing at once when the process dies.
await() {
  local name=$1 pidfile=$2 deadline=$((SECONDS + WAIT))
  shift 2
  until "$@"; do
    pid_alive "$pidfile" || fail "$name" "exited during start-up"
    ((SECONDS < deadline)) || fail "$name" "did not become healthy within $WAIT s"
    sleep 0.3
  done
}

# --- configuration ---------------------------------------------------------------------------------------------

write_containerd_config() {
  mkdir -p "$DIR/containerd" "$DIR/certs.d/127.0.0.1:$BENCH_REGISTRY_PORT" "$DIR/net.d"
  cat >"$DIR/certs.d/127.0.0.1:$BENCH_REGISTRY_PORT/hosts.toml" <<EOF
# The bench registry (test/bench/registry.sh), plain HTTP on loopback.
server = "http://127.0.0.1:$BENCH_REGISTRY_PORT"

[host."http://127.0.0.1:$BENCH_REGISTRY_PORT"]
  capabilities = ["pull", "resolve"]
EOF
  cat >"$DIR/containerd.toml.tmp" <<EOF
# written by test/bench/node.sh: the bench node's own containerd (not the Docker engine's).
version = 2
root = "$DIR/containerd"
state = "$RUN/containerd"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs", "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing"]

[grpc]
  address = "$SOCK"

[ttrpc]
  address = "$SOCK.ttrpc"

[debug]
  address = ""

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "$DIR/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  disable_apparmor = true
  netns_mounts_under_state_dir = true
  tolerate_missing_hugetlb_controller = true
  disable_hugetlb_controller = true
  max_container_log_line_size = 16384
  # No CAP_SYS_RESOURCE here: runc may not lower a process's oom_score_adj (the kubelet asks -998 for sandboxes).
  restrict_oom_score_adj = $( [[ $(cap_sys_resource) == yes ]] && echo false || echo true )

[plugins."io.containerd.grpc.v1.cri".containerd]
  snapshotter = "overlayfs"
  default_runtime_name = "runc"

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
  BinaryName = "$(command -v runc)"
  Root = "$RUN/runc"
  SystemdCgroup = false

[plugins."io.containerd.grpc.v1.cri".cni]
  bin_dir = "$CNI_BIN"
  conf_dir = "$DIR/net.d"
  max_conf_num = 1

[plugins."io.containerd.grpc.v1.cri".registry]
  config_path = "$DIR/certs.d"
EOF
  mv "$DIR/containerd.toml.tmp" "$DIR/containerd.toml"
  # Pod networking: one bridge (the node's address is its gateway), IPs from host-local, hostPorts through portmap,
  # and the firewall plugin's CNI-FORWARD chain so that Docker's FORWARD policy DROP lets pod traffic through.
  cat >"$DIR/net.d/10-mlp-bench.conflist.tmp" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "mlp-bench",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{ "subnet": "$POD_CIDR", "gateway": "$NODE_IP" }]],
        "dataDir": "$RUN/cni-ipam"
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } },
    { "type": "firewall", "backend": "iptables" }
  ]
}
EOF
  mv "$DIR/net.d/10-mlp-bench.conflist.tmp" "$DIR/net.d/10-mlp-bench.conflist"
}

# The node's identity: a client certificate for system:node:<name> in group system:nodes, signed by the bench CA
# (what the Node authorizer and the NodeRestriction admission plugin expect), and a kubeconfig with it.
write_node_credentials() {
  local pki=$DIR/pki
  mkdir -p "$pki"
  if ! [[ -s $pki/kubelet.crt && -s $pki/kubelet.key ]] ||
    ! openssl verify -CAfile "$KPKI/ca.crt" "$pki/kubelet.crt" >/dev/null 2>&1 ||
    [[ $(openssl x509 -noout -subject -in "$pki/kubelet.crt" 2>/dev/null) != *"system:node:$NODE_NAME"* ]]; then
    (
      cd "$pki"
      openssl req -new -newkey rsa:2048 -nodes -keyout kubelet.key -out kubelet.csr \
        -subj "/O=system:nodes/CN=system:node:$NODE_NAME"
      openssl x509 -req -in kubelet.csr -CA "$KPKI/ca.crt" -CAkey "$KPKI/ca.key" -set_serial "0x$(openssl rand -hex 8)" \
        -days 3650 -out kubelet.crt -extfile <(printf '%s\n' 'basicConstraints=CA:FALSE' \
          'keyUsage=critical,digitalSignature,keyEncipherment' 'extendedKeyUsage=clientAuth')
      rm -f kubelet.csr
      chmod 600 kubelet.key
    ) >"$DIR/pki.log" 2>&1 || die "openssl could not make the node's client certificate; see $DIR/pki.log"
  fi
  cat >"$DIR/kubelet.kubeconfig.tmp" <<YAML
apiVersion: v1
kind: Config
clusters:
- name: mlp-bench
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority: $KPKI/ca.crt
users:
- name: system:node:$NODE_NAME
  user:
    client-certificate: $pki/kubelet.crt
    client-key: $pki/kubelet.key
contexts:
- name: node
  context: { cluster: mlp-bench, user: "system:node:$NODE_NAME" }
current-context: node
YAML
  chmod 600 "$DIR/kubelet.kubeconfig.tmp"
  mv "$DIR/kubelet.kubeconfig.tmp" "$DIR/kubelet.kubeconfig"
}

# The kubelet serves on the node's bridge address only. The API server calls it without a client certificate (kube.sh
# gives it no --kubelet-client-certificate), so the kubelet lets anonymous requests through; the iptables rule in
# setup_network keeps the pods themselves from reaching it.
write_kubelet_config() {
  cat >"$DIR/kubelet.yaml.tmp" <<EOF
# written by test/bench/node.sh
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# This machine: cgroup v1 with the cgroupfs driver (1.35 refuses cgroup v1 unless told), no swap accounting.
failCgroupV1: false
cgroupDriver: cgroupfs
failSwapOn: false
containerRuntimeEndpoint: unix://$SOCK
address: $NODE_IP
port: $KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $HEALTHZ_PORT
authentication:
  anonymous: { enabled: true }
  webhook: { enabled: false }
  x509: { clientCAFile: $KPKI/ca.crt }
authorization:
  mode: AlwaysAllow
registerNode: true
registerWithTaints:
- { key: $TAINT_KEY, value: "true", effect: NoSchedule }
podLogsDir: $DIR/pod-logs
clusterDomain: cluster.local
resolvConf: /etc/resolv.conf
maxPods: 30
serializeImagePulls: false
# A shared build machine: never evict for its disk (other work fills it), never collect images (the pause image
# cannot be pulled again).
evictionHard: { memory.available: 100Mi, nodefs.available: "1%", nodefs.inodesFree: "1%", imagefs.available: "1%" }
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
nodeStatusUpdateFrequency: 10s
syncFrequency: 10s
shutdownGracePeriod: 0s
rotateCertificates: false
serverTLSBootstrap: false
EOF
  mv "$DIR/kubelet.yaml.tmp" "$DIR/kubelet.yaml"
}

kubelet_args() {
  printf '%s\n' --config "$DIR/kubelet.yaml" --kubeconfig "$DIR/kubelet.kubeconfig" --root-dir "$DIR/kubelet" \
    --cert-dir "$DIR/kubelet-pki" --hostname-override "$NODE_NAME" --node-ip "$NODE_IP" \
    --node-labels "$LABEL_KEY=$LABEL_VALUE" --v 1
}

# The bridge exists before the first pod so that the kubelet can serve on its address; the CNI bridge plugin takes
# it over. The API server reaches the kubelet at the node's Hostname address first, so the node's name resolves to
# that address through /etc/hosts. Pods may not reach the kubelet's (anonymous) port.
setup_network() {
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add "$BRIDGE" type bridge || missing "kernel: cannot create a bridge interface ($BRIDGE)"
  fi
  [[ $(ip -o -4 addr show dev "$BRIDGE") == *" $NODE_IP/"* ]] || ip addr add "$NODE_IP/${POD_CIDR#*/}" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  if ! grep -q "^$NODE_IP $NODE_NAME $HOSTS_MARK\$" /etc/hosts; then
    local hosts
    hosts=$(grep -v "$HOSTS_MARK\$" /etc/hosts || true)
    # Written in place: /etc/hosts may be a bind mount that a rename would not replace.
    printf '%s\n%s\n' "$hosts" "$NODE_IP $NODE_NAME $HOSTS_MARK" >/etc/hosts
  fi
  # Matched on the bridge: the API server's own connections to $NODE_IP come from $NODE_IP too, but over lo.
  local rule=(-i "$BRIDGE" -d "$NODE_IP" -p tcp -m multiport --dports "$KUBELET_PORT,$HEALTHZ_PORT" -j REJECT)
  iptables -C INPUT "${rule[@]}" 2>/dev/null || iptables -I INPUT "${rule[@]}"
  # The kubelet's kernel tunables: keep what this machine had, once.
  if [[ ! -s $DIR/sysctl.orig ]]; then
    local k
    for k in "${SYSCTLS[@]}"; do echo "$k $(cat "/proc/sys/$k")"; done >"$DIR/sysctl.orig"
  fi
}

# --- verbs -----------------------------------------------------------------------------------------------------

config_hash() { cat "$DIR/containerd.toml" "$DIR/net.d/10-mlp-bench.conflist" | sha256sum | cut -c1-16; }
# The certificates and the binary count too: a new bench CA (kube.sh remakes its PKI when incomplete) means a new node certificate.
kubelet_hash() {
  {
    cat "$DIR/kubelet.yaml" "$DIR/kubelet.kubeconfig" "$DIR/pki/kubelet.crt" "$KPKI/ca.crt"
    cat "$BIN/.kubelet.stamp" 2>/dev/null || true # a rebuilt kubelet
    kubelet_args
  } | sha256sum | cut -c1-16
}

start_containerd() {
  if containerd_ok && [[ $(cat "$DIR/containerd.hash" 2>/dev/null) == "$(config_hash)" ]]; then
    echo "node: containerd already up ($SOCK)"
    return 0
  fi
  if pid_alive "$DIR/containerd.pid"; then
    log "containerd's configuration changed; restarting it"
    stop_pidfile "$DIR/containerd.pid" containerd
  elif containerd_ok; then
    die "something that is not the bench's containerd answers on $SOCK"
  fi
  mkdir -p "$RUN" "$DIR/opt"
  config_hash >"$DIR/containerd.hash"
  spawn containerd "$DIR/containerd.pid" containerd --config "$DIR/containerd.toml"
  await containerd "$DIR/containerd.pid" containerd_ok
}

# (Not `ctr | grep -q`: under pipefail, grep leaving early can fail the pipe.)
pause_imported() { [[ $'\n'$(cctr images ls -q 2>/dev/null)$'\n' == *$'\n'"$PAUSE_IMAGE"$'\n'* ]]; }

import_pause() {
  if pause_imported; then return 0; fi
  cctr images import "$PAUSE_TAR" >"$DIR/pause-import.log" 2>&1 || fail pause-import "ctr images import $PAUSE_TAR failed"
  pause_imported || fail pause-import "imported $PAUSE_TAR but no $PAUSE_IMAGE in containerd"
  cctr images label "$PAUSE_IMAGE" io.cri-containerd.pinned=pinned >/dev/null 2>&1 || true
  echo "node: imported the pause image $PAUSE_IMAGE"
}

start_kubelet() {
  if kubelet_ok && [[ $(cat "$DIR/kubelet.hash" 2>/dev/null) == "$(kubelet_hash)" ]]; then
    echo "node: kubelet already up"
    return 0
  fi
  if pid_alive "$DIR/kubelet.pid"; then
    log "the kubelet's configuration changed; restarting it"
    stop_pidfile "$DIR/kubelet.pid" kubelet
  elif kubelet_ok; then
    die "a kubelet that is not the bench's answers on 127.0.0.1:$HEALTHZ_PORT"
  fi
  mkdir -p "$DIR/kubelet" "$DIR/kubelet-pki" "$DIR/pod-logs"
  kubelet_hash >"$DIR/kubelet.hash"
  local args
  mapfile -t args < <(kubelet_args)
  spawn kubelet "$DIR/kubelet.pid" "$BIN/kubelet" "${args[@]}"
  await kubelet "$DIR/kubelet.pid" kubelet_ok
}

# Listening is enough: whether moto answers behind it is moto.sh's business.
moto_relay_ok() { [[ $(ss -Hltn "sport = :$BENCH_MOTO_PORT" 2>/dev/null) == *"$NODE_IP:$BENCH_MOTO_PORT"* ]]; }

# The pods' way to moto (see the top): started after the bridge has its address, stopped by `down`.
start_moto_relay() {
  if pid_alive "$DIR/moto-relay.pid" && moto_relay_ok; then
    echo "node: moto relay already up ($NODE_IP:$BENCH_MOTO_PORT)"
    return 0
  fi
  stop_pidfile "$DIR/moto-relay.pid" moto-relay
  spawn moto-relay "$DIR/moto-relay.pid" socat "TCP-LISTEN:$BENCH_MOTO_PORT,bind=$NODE_IP,fork,reuseaddr" "TCP:127.0.0.1:$BENCH_MOTO_PORT"
  await moto-relay "$DIR/moto-relay.pid" moto_relay_ok
}

up() {
  have curl || missing "curl not installed"
  have openssl || missing "openssl not installed"
  check_prerequisites
  lock
  write_containerd_config
  write_node_credentials
  write_kubelet_config
  setup_network
  start_containerd
  cri_ok || fail containerd "serves no CRI (its cri plugin did not load)"
  import_pause
  start_kubelet
  start_moto_relay
  local deadline=$((SECONDS + WAIT))
  until node_ready; do
    pid_alive "$DIR/kubelet.pid" || fail kubelet "exited before node $NODE_NAME was Ready"
    ((SECONDS < deadline)) || fail kubelet "did not make node $NODE_NAME Ready within $WAIT s"
    sleep 0.5
  done
  local arch
  arch=$(node_json | grep -o '"kubernetes.io/arch":"[^"]*"' | cut -d'"' -f4) || true
  echo "node: $NODE_NAME Ready (kubelet $KUBE_VERSION, $(containerd --version | awk '{ print $1, $3 }'), arch $arch," \
    "label $LABEL_KEY=$LABEL_VALUE, taint $TAINT_KEY=true:NoSchedule, pods $POD_CIDR, moto for pods at $NODE_IP:$BENCH_MOTO_PORT;" \
    "logs $DIR/*.log);" \
    "stop it with: bash test/bench/node.sh down"
}

# Unmount what the kubelet and containerd left mounted under the bench's own directories (deepest first).
unmount_under() {
  local m
  awk -v k="$DIR/kubelet" -v r="$RUN" '$2 == k || index($2, k "/") == 1 || index($2, r "/") == 1 { print $2 }' /proc/mounts |
    sort -r |
    while read -r m; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
}

# The rules this script, the kubelet (KUBE-FIREWALL and its canary chains) and the CNI plugins (the firewall plugin's
# CNI-FORWARD and CNI-ADMIN, portmap's CNI-HOSTPORT-*, and per-pod CNI-* chains) added. Nothing else on a bench machine
# runs a kubelet or CNI plugins; Docker's own chains (DOCKER*) are not touched.
cleanup_iptables() {
  local ipt table rule chain
  for ipt in iptables ip6tables; do
    have "$ipt" || continue
    "$ipt" -D INPUT -i "$BRIDGE" -d "$NODE_IP" -p tcp -m multiport --dports "$KUBELET_PORT,$HEALTHZ_PORT" -j REJECT 2>/dev/null || true
    for table in filter nat mangle; do
      # The jumps into those chains from anywhere (eval: the rules carry quoted comments), then the chains.
      "$ipt" -t "$table" -S 2>/dev/null | grep -E -- '^-A .* -j (CNI-|KUBE-(FIREWALL|KUBELET-CANARY|IPTABLES-HINT))' |
        while read -r rule; do eval "$ipt -t $table ${rule/#-A/-D}" 2>/dev/null || true; done || true
      "$ipt" -t "$table" -S 2>/dev/null | awk '$1 == "-N" && $2 ~ /^(CNI-|KUBE-(FIREWALL|KUBELET-CANARY|IPTABLES-HINT)$)/ { print $2 }' |
        while read -r chain; do "$ipt" -t "$table" -F "$chain" 2>/dev/null || true; done || true
      "$ipt" -t "$table" -S 2>/dev/null | awk '$1 == "-N" && $2 ~ /^(CNI-|KUBE-(FIREWALL|KUBELET-CANARY|IPTABLES-HINT)$)/ { print $2 }' |
        while read -r chain; do "$ipt" -t "$table" -X "$chain" 2>/dev/null || true; done || true
    done
  done
}

down() {
  lock
  stop_pidfile "$DIR/moto-relay.pid" moto-relay
  stop_pidfile "$DIR/kubelet.pid" kubelet
  if containerd_ok && pid_alive "$DIR/containerd.pid"; then
    local id n=0
    for id in $(cctr tasks ls -q 2>/dev/null); do
      cctr tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true
      n=$((n + 1))
    done
    sleep 1
    for id in $(cctr tasks ls -q 2>/dev/null); do cctr tasks delete -f "$id" >/dev/null 2>&1 || true; done
    ((n == 0)) || echo "node: killed $n container(s)"
  fi
  stop_pidfile "$DIR/containerd.pid" containerd
  unmount_under
  rm -rf "$RUN/cni-ipam"
  # Its veths went with the pods' network namespaces.
  ip link del "$BRIDGE" 2>/dev/null || true
  # The Node goes too: the pod garbage collector then removes the pods that were bound to it.
  if [[ -s $KPKI/admin.crt ]] && apiserver_ok && kapi DELETE "/api/v1/nodes/$NODE_NAME" >/dev/null 2>&1; then
    echo "node: deleted Node $NODE_NAME"
  fi
  cleanup_iptables
  if grep -q "$HOSTS_MARK\$" /etc/hosts 2>/dev/null; then
    local hosts
    hosts=$(grep -v "$HOSTS_MARK\$" /etc/hosts || true)
    printf '%s\n' "$hosts" >/etc/hosts
  fi
  if [[ -s $DIR/sysctl.orig ]]; then
    local k v
    while read -r k v; do echo "$v" >"/proc/sys/$k" 2>/dev/null || true; done <"$DIR/sysctl.orig"
    rm -f "$DIR/sysctl.orig"
  fi
}

status() {
  local rc=0 c pid
  for c in containerd kubelet moto_relay; do
    pid=''
    pid_alive "$DIR/$c.pid" && pid=" (bench pid $(<"$DIR/$c.pid"))"
    if "${c}_ok"; then echo "node: $c up$pid"; else echo "node: $c down$pid"; rc=1; fi
  done
  if node_ready; then echo "node: $NODE_NAME Ready"; else echo "node: $NODE_NAME not Ready"; rc=1; fi
  return "$rc"
}

case ${1:-} in
  install | up | down | status) "$1" ;;
  *) echo "usage: $0 install|up|down|status" >&2; exit 2 ;;
esac
