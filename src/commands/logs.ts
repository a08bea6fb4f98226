import { defineCommand, option } from '../lib/command.js';

export default defineCommand({
  usage: 'logs [service]',
  summary: "Print (or follow) the logs of a service's pods or of the training Job",
  description:
    "The logs of every pod of the service (of every service without an argument) merged in time order, each line after its pod's name; on the local target, of each service's container. With --follow, pods that a rollout starts join as they appear and the lines of those it removes end with them, until Ctrl-C. On a terminal the serving app's JSON log records are shown as readable lines; piped, they are passed on unchanged, and --json prints one JSON object per line: {service, pod, container, record} for a JSON record, {…, line} for any other line.",
  examples: [
    'mlp logs fraud --follow',
    'mlp logs fraud --since 10m --tail 20',
    'mlp logs --json | jq .record.msg',
    'mlp logs --training --tail 200',
  ],
  options: {
    follow: option('-f, --follow', 'keep streaming new lines, following new pods, until Ctrl-C'),
    tail: option('--tail <lines>', 'lines to show from the end of each log', { default: '100' }),
    since: option('--since <duration>', 'only lines newer than this: 90s, 10m, 1h30m'),
    training: option('--training', 'logs of the training Job instead of a service'),
  },
  handler: () => import('./handlers/logs.js'),
});
