import { defineCommand } from '../lib/command.js';

export default defineCommand({
  usage: 'init',
  summary: 'Create an mlp.yaml for this project (refuses to overwrite one)',
  examples: ['mlp init', 'mlp init -C services/fraud --name fraud'],
  configure(command) {
    command
      .option('--name <name>', 'project and service name (default: the directory name)')
      .option('--force', 'overwrite an existing mlp.yaml');
  },
  async run(context, options) {
    const { scaffoldProject } = await import('../lib/init.js');
    const created = await scaffoldProject({
      dir: context.dir,
      ...(typeof options.name === 'string' ? { name: options.name } : {}),
      force: options.force === true,
    });
    context.output.result(created, `Created ${created.file} for project ${created.name}. Next: edit it, then run "mlp deploy --dry-run".`);
  },
});
