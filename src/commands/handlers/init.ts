import type { CommandHandler } from '../../lib/command.js';

interface InitOptions {
  name?: string;
  force?: boolean;
}

const init: CommandHandler<InitOptions> = async (context, options) => {
  const { scaffoldProject } = await import('../../lib/init.js');
  const created = await scaffoldProject({
    dir: context.dir,
    ...(options.name === undefined ? {} : { name: options.name }),
    force: options.force === true,
  });
  context.output.result(created, `Created ${created.file} for project ${created.name}. Next: edit it, then run "mlp deploy --dry-run".`);
};
export default init;
