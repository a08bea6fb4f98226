import { defineCommand, option } from '../lib/command.js';

export default defineCommand({
  usage: 'logs [service]',
  summary: "Print (or follow) the logs of a service's pods or of the training Job",
  examples: ['mlp logs fraud --follow', 'mlp logs --training --tail 200'],
  options: {
    follow: option('-f, --follow', 'keep streaming new lines'),
    tail: option('--tail <lines>', 'lines to show from the end of each log', { default: '100' }),
    training: option('--training', 'logs of the training Job instead of a service'),
  },
  // No handler yet: exits with the notImplemented code.
});
