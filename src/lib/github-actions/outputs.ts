/**
 * The step outputs a deploy sets for the next steps (`steps.<id>.outputs.<name>`): for each service
 * `image-<service>`, `digest-<service>`, `model-version-<service>` and `url-<service>`; the same without the suffix
 * for the first service (most projects have one); `rolled-back` (true/false) and `services` (all of it as JSON).
 */
import type { DeployReport } from './deploy-report.js';

export function deployOutputs(report: DeployReport): Array<[name: string, value: string]> {
  const outputs: Array<[string, string]> = [];
  const add = (name: string, value: string | null): void => {
    if (value !== null) outputs.push([name, value]);
  };
  const [first] = report.services;
  if (first) {
    add('image', first.image);
    add('digest', first.digest);
    add('model-version', first.modelVersion);
    add('url', first.url);
  }
  for (const service of report.services) {
    add(`image-${service.service}`, service.image);
    add(`digest-${service.service}`, service.digest);
    add(`model-version-${service.service}`, service.modelVersion);
    add(`url-${service.service}`, service.url);
  }
  add('rolled-back', String(report.services.some((service) => service.rolledBackTo !== null)));
  add(
    'services',
    JSON.stringify(
      report.services.map(({ service, image, digest, modelVersion, url, rolledBackTo }) => ({
        service,
        image,
        digest,
        modelVersion,
        url,
        rolledBack: rolledBackTo !== null,
      })),
    ),
  );
  return outputs;
}
