/** The services a command works on, chosen by name (`--service a b`, a positional `[service]`) or all of them. */
import { UsageError } from '../errors.js';
import type { ServiceConfig } from './schema.js';
import { closest } from './suggest.js';

/**
 * The services named in `names`, in mlp.yaml's order (each once), or every service when `names` is empty or
 * undefined. A name mlp.yaml does not have is a usage error that lists the services and suggests the closest.
 */
export function selectServices(
  config: { readonly services: readonly ServiceConfig[] },
  names: readonly string[] | undefined,
): ServiceConfig[] {
  const known = config.services.map((service) => service.name);
  for (const name of names ?? []) {
    if (known.includes(name)) continue;
    const suggestion = closest(name, known);
    throw new UsageError(`mlp.yaml has no service ${name}${suggestion === undefined ? '' : ` (did you mean ${suggestion}?)`}.`, {
      hint: `services: ${known.join(', ')}`,
    });
  }
  if (names === undefined || names.length === 0) return [...config.services];
  return config.services.filter((service) => names.includes(service.name));
}
