// A STAND-IN for the EC2 instances of EKS managed nodegroups, for the test bench only (test/bench/nodegroups.sh runs
// it as component `nodegroups`). moto keeps each nodegroup's scaling config but starts no instances, so nothing would
// ever join the bench cluster when `mlp scale up` raises desiredSize, nor leave it when `mlp scale down` lowers it.
// This process polls moto's DescribeNodegroup for every nodegroup of every cluster and makes kwok fake Nodes in the
// bench API server follow desiredSize, as the nodegroup's Auto Scaling group and the instances' kubelets would:
//   - a missing node is created with the labels EKS gives its nodes (eks.amazonaws.com/nodegroup, capacityType,
//     kubernetes.io/hostname, topology.kubernetes.io/region|zone, the instance type) and the annotation
//     kwok.x-k8s.io/node=fake, so kwok's node-initialize stage (test/bench/kube/kwok-stages.yaml) turns it Ready;
//   - an extra node goes as a terminated instance does: kwok's annotation is removed first (its node-initialize
//     stage would set Ready=True again), Ready=False is written through the status subresource, and ~3 s later the
//     Node is deleted. Cordoned nodes go first, then the newest: a real Auto Scaling group picks by its own policy
//     (AZ balance, oldest launch template) and may terminate others, which mlp copes with by uncordoning survivors;
//   - nodes of a nodegroup (or cluster) that no longer exists go the same way.
// Two liberties keep the other suites unaffected, since every moto cluster shares the one bench API server: each node
// is tainted mlp.dev/bench-nodegroup=<name>:NoSchedule (pods land there only when they tolerate it), and every node
// is linux/amd64 like the bench's own kwok nodes, whatever the AMI type (mlp's platform check reads node labels).
// Env: AWS_ENDPOINT_URL (default http://127.0.0.1:5055), KUBECONFIG (default the bench's), MLP_BENCH_NODEGROUP_POLL_MS
// (default 1000), MLP_BENCH_NODEGROUP_HEARTBEAT (a file touched after each complete poll, for the bench's probe).
import { DescribeNodegroupCommand, EKSClient, ListClustersCommand, ListNodegroupsCommand } from '@aws-sdk/client-eks';
import * as k8s from '@kubernetes/client-node';
import { randomInt } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const CACHE = process.env.MLP_BENCH_CACHE || join(homedir(), '.cache', 'mlp-bench');
const KUBECONFIG = process.env.KUBECONFIG || join(CACHE, 'kube', 'kubeconfig');
const ENDPOINT = process.env.AWS_ENDPOINT_URL || `http://127.0.0.1:${process.env.MLP_BENCH_MOTO_PORT || '5055'}`;
const REGION = process.env.AWS_REGION || 'us-east-1';
const POLL_MS = Number(process.env.MLP_BENCH_NODEGROUP_POLL_MS || 1000);
const HEARTBEAT = process.env.MLP_BENCH_NODEGROUP_HEARTBEAT;
const TERMINATION_MS = 3000;

const OURS = 'mlp.dev/bench-standin';
const OWNER = 'mlp.dev/bench-nodegroup'; // annotation "<cluster>/<nodegroup>"
const TERMINATING = 'mlp.dev/bench-terminating-since';
const KWOK = 'kwok.x-k8s.io/node';
const NODEGROUP_LABEL = 'eks.amazonaws.com/nodegroup';
const ZONES = ['a', 'b', 'c'].map((z) => `${REGION}${z}`);
const TAINT_EFFECTS = { NO_SCHEDULE: 'NoSchedule', NO_EXECUTE: 'NoExecute', PREFER_NO_SCHEDULE: 'PreferNoSchedule' };

const eks = new EKSClient({
  region: REGION,
  endpoint: ENDPOINT,
  credentials: { accessKeyId: process.env.AWS_ACCESS_KEY_ID || 'testing', secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY || 'testing' },
  maxAttempts: 2,
});
const kc = new k8s.KubeConfig();
kc.loadFromFile(KUBECONFIG);
const core = kc.makeApiClient(k8s.CoreV1Api);
const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

const log = (line) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);

/** Every nodegroup moto knows: "<cluster>/<nodegroup>" → its description. */
async function nodegroups() {
  const found = new Map();
  let token;
  do {
    const page = await eks.send(new ListClustersCommand({ nextToken: token }));
    for (const cluster of page.clusters ?? []) {
      let ngToken;
      do {
        const ngs = await eks.send(new ListNodegroupsCommand({ clusterName: cluster, nextToken: ngToken }));
        for (const name of ngs.nodegroups ?? []) {
          const { nodegroup } = await eks.send(new DescribeNodegroupCommand({ clusterName: cluster, nodegroupName: name }));
          if (nodegroup) found.set(`${cluster}/${name}`, nodegroup);
        }
        ngToken = ngs.nextToken;
      } while (ngToken);
    }
    token = page.nextToken;
  } while (token);
  return found;
}

function nodeBody(owner, nodegroup, index) {
  const name = `ip-10-${randomInt(0, 256)}-${randomInt(0, 256)}-${randomInt(1, 255)}.ec2.internal`;
  const instanceType = nodegroup.instanceTypes?.[0] ?? 'm5.xlarge';
  const resources = { cpu: '4', memory: '16Gi', pods: '110' };
  const taints = [
    ...(nodegroup.taints ?? []).map((t) => ({ key: t.key, value: t.value, effect: TAINT_EFFECTS[t.effect] ?? 'NoSchedule' })),
    { key: OWNER, value: nodegroup.nodegroupName, effect: 'NoSchedule' },
  ];
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { [KWOK]: 'fake', 'node.alpha.kubernetes.io/ttl': '0', [OWNER]: owner },
      labels: {
        ...(nodegroup.labels ?? {}),
        [OURS]: 'nodegroups',
        [NODEGROUP_LABEL]: nodegroup.nodegroupName,
        'eks.amazonaws.com/capacityType': nodegroup.capacityType ?? 'ON_DEMAND',
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'node.kubernetes.io/instance-type': instanceType,
        'topology.kubernetes.io/region': REGION,
        'topology.kubernetes.io/zone': ZONES[index % ZONES.length],
      },
    },
    spec: { taints },
    status: { capacity: resources, allocatable: resources, nodeInfo: { architecture: 'amd64', operatingSystem: 'linux' } },
  };
}

/** The first half of an instance termination: kwok lets go of the node and it turns NotReady. */
async function terminate(node, why) {
  const name = node.metadata.name;
  log(`terminating ${name} (${node.metadata.annotations?.[OWNER]}): ${why}`);
  await core.patchNode(
    { name, body: { metadata: { annotations: { [KWOK]: null, [TERMINATING]: new Date().toISOString() } } } },
    mergePatch,
  );
  const now = new Date();
  const conditions = (node.status?.conditions ?? []).filter((c) => c.type !== 'Ready');
  conditions.push({
    type: 'Ready',
    status: 'False',
    reason: 'KubeletNotReady',
    message: 'the instance is shutting down (bench stand-in for EC2 termination)',
    lastHeartbeatTime: now,
    lastTransitionTime: now,
  });
  await core.patchNodeStatus({ name, body: { status: { conditions } } }, mergePatch);
}

async function reconcile() {
  const wanted = await nodegroups();
  const nodes = (await core.listNode({ labelSelector: `${OURS}=nodegroups` })).items;
  const byOwner = new Map();
  for (const node of nodes) {
    const since = node.metadata.annotations?.[TERMINATING];
    if (since) {
      if (Date.now() - Date.parse(since) >= TERMINATION_MS && !node.metadata.deletionTimestamp) {
        await core.deleteNode({ name: node.metadata.name }).catch((e) => (e.code === 404 ? undefined : Promise.reject(e)));
        log(`deleted ${node.metadata.name}`);
      }
      continue;
    }
    const owner = node.metadata.annotations?.[OWNER] ?? '';
    if (!byOwner.has(owner)) byOwner.set(owner, []);
    byOwner.get(owner).push(node);
  }
  for (const [owner, alive] of byOwner) {
    if (!wanted.has(owner)) for (const node of alive) await terminate(node, 'its nodegroup no longer exists');
  }
  for (const [owner, nodegroup] of wanted) {
    const alive = byOwner.get(owner) ?? [];
    const desired = nodegroup.status === 'DELETING' ? 0 : (nodegroup.scalingConfig?.desiredSize ?? 0);
    if (alive.length < desired) {
      for (let i = alive.length; i < desired; i++) {
        const body = nodeBody(owner, nodegroup, i);
        await core.createNode({ body });
        log(`created ${body.metadata.name} for ${owner} (desired ${desired})`);
      }
    } else if (alive.length > desired) {
      const extra = [...alive]
        .sort(
          (a, b) =>
            Number(b.spec?.unschedulable === true) - Number(a.spec?.unschedulable === true) ||
            Date.parse(b.metadata.creationTimestamp) - Date.parse(a.metadata.creationTimestamp),
        )
        .slice(0, alive.length - desired);
      for (const node of extra) await terminate(node, `desiredSize ${desired}, ${alive.length} running`);
    }
  }
}

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => (stopping = true));
log(`nodegroup stand-in: following moto at ${ENDPOINT} into ${KUBECONFIG} every ${POLL_MS} ms`);
let lastError = '';
while (!stopping) {
  try {
    await reconcile();
    if (HEARTBEAT) writeFileSync(HEARTBEAT, `${new Date().toISOString()}\n`);
    lastError = '';
  } catch (error) {
    const text = error?.message ?? String(error);
    if (text !== lastError) log(`poll failed (retrying): ${text.split('\n')[0]}`);
    lastError = text;
  }
  await new Promise((resolve) => setTimeout(resolve, POLL_MS));
}
log('nodegroup stand-in: stopped (its nodes stay, as instances outlive a stopped controller)');
eks.destroy();
