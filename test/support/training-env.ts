import { homedir } from 'node:os';
import path from 'node:path';

/**
 * The environment for CLI runs that train the bundled example: clean, plus pip's and pyenv's own settings where the
 * machine has them, and one virtualenv cache shared by every suite (the example's requirements take a minute to
 * install from PyPI; the cache is keyed by the requirements file and the Python version).
 */
export function trainingEnv(extra: Record<string, string> = {}): Record<string, string | undefined> {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    MLP_VENV_CACHE: process.env.MLP_VENV_CACHE ?? path.join(homedir(), '.cache', 'mlp-venvs'),
    ...Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith('PIP_') || name.startsWith('PYENV'))),
    // A TLS-intercepting proxy's CA (this bench's network has one): image builds take it as a BuildKit secret.
    ...(process.env.NODE_EXTRA_CA_CERTS ? { NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS } : {}),
    ...extra,
  };
}
