import { Argument } from 'commander';
import { defineCommand, notBuiltYet } from '../lib/command.js';

export default defineCommand({
  usage: 'scale',
  summary: 'Scale the EKS nodegroup up (min 2, desired 2) or down to zero (cluster.scaling in mlp.yaml)',
  examples: ['mlp scale up', 'mlp scale down --yes'],
  configure(command) {
    command
      .addArgument(new Argument('<direction>', 'up or down').choices(['up', 'down']))
      .option('--nodegroup <name>', 'the nodegroup to scale (default: cluster.nodegroup)')
      .option('--wait', 'wait until the nodegroup is ACTIVE at its new size');
  },
  run: notBuiltYet('mlp scale', 'a later issue'),
});
