import { defineCommand, notBuiltYet } from '../lib/command.js';

export default defineCommand({
  usage: 'logs [service]',
  summary: "Print (or follow) the logs of a service's pods or of the training Job",
  examples: ['mlp logs fraud --follow', 'mlp logs --training --tail 200'],
  configure(command) {
    command
      .option('-f, --follow', 'keep streaming new lines')
      .option('--tail <lines>', 'lines to show from the end of each log', '100')
      .option('--training', 'logs of the training Job instead of a service');
  },
  run: notBuiltYet('mlp logs', 'a later issue'),
});
