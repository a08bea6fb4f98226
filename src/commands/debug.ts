import { argument, defineCommand } from '../lib/command.js';

export default defineCommand({
  usage: 'debug',
  summary: 'Diagnose a failing piece: sagemaker endpoints, pods, resource quota or ECR auth',
  description:
    "Runs the checks of the runbooks' 'Debugging Common Failures' section and says what is wrong and what to do:\n" +
    "  sagemaker  endpoint status, the aws-credentials secret and the pods' AWS environment\n" +
    '  pods       pod states, events and the last log lines of crashing containers\n' +
    '  quota      ResourceQuota usage against the requests mlp would add\n' +
    '  ecr        repository, authorization token and image presence',
  examples: ['mlp debug pods', 'mlp debug quota --json'],
  arguments: [
    argument('<topic>', 'what to diagnose', { choices: ['sagemaker', 'pods', 'quota', 'ecr'] }),
    argument('[service]', 'only this service (default: every service the topic applies to)'),
  ],
  handler: () => import('./handlers/debug.js'),
});
