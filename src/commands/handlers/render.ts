import path from 'node:path';
import type { CommandHandler } from '../../lib/command.js';

interface RenderOptions {
  out?: string;
  service?: string[];
  serviceMonitor?: boolean;
}

const render: CommandHandler<RenderOptions> = async (context, options) => {
  const [{ renderManifests }, { toYaml }, { writeManifests }] = await Promise.all([
    import('../../lib/render/renderer.js'),
    import('../../lib/render/serialize.js'),
    import('../../lib/render/write-manifests.js'),
  ]);
  const project = await context.loadConfig();
  const manifests = await renderManifests(project, {
    services: options.service,
    serviceMonitor: options.serviceMonitor === true,
    warn: (line) => context.output.warn(line),
  });
  if (options.out !== undefined) {
    const dir = path.resolve(context.io.cwd, options.out);
    const files = await writeManifests(dir, manifests);
    context.output.info(`wrote ${files.length} manifests to ${dir}`);
    context.output.result({ manifests, files }, '');
    return;
  }
  context.output.result({ manifests }, () => toYaml(manifests));
};
export default render;
