/**
 * `mlp init`: writes a small, valid mlp.yaml. The text is a template rather than a serialised object so the
 * file keeps its comments, which are most of its value to a first-time user.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from './errors.js';
import { packageFile } from './package-root.js';

export interface ScaffoldOptions {
  dir: string;
  name?: string;
  force: boolean;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** The directory name turned into a DNS-1123 label, since it names Kubernetes objects. */
export function projectNameFrom(dir: string): string {
  const name = path
    .basename(dir)
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/g, '');
  return name === '' ? 'model' : name;
}

/** mlp's JSON Schema as shipped in this package, so editors complete mlp.yaml offline. */
const SCHEMA_FILE = packageFile('schema/mlp.schema.json');

export function mlpYamlTemplate(name: string, schemaPath: string): string {
  return `# yaml-language-server: $schema=${schemaPath}
apiVersion: mlp/v1
name: ${name}

aws:
  region: \${AWS_REGION:-us-east-1}

# Where \`mlp deploy\` runs the services: local (this machine's Docker engine) or eks.
deploy:
  target: local

# training:
#   command: python train.py --out \${MLP_OUTPUT_DIR}
#   requirements: requirements.txt

services:
  - name: ${name}
    model:
      source: dir
      path: model
    replicas: 1
    smoke:
      - path: /ready
`;
}

export async function scaffoldProject(options: ScaffoldOptions): Promise<{ file: string; name: string }> {
  const name = options.name ?? projectNameFrom(options.dir);
  if (!DNS_LABEL.test(name)) {
    throw new UsageError(`--name "${name}" is not a valid name: it names Kubernetes objects, so it must be a DNS-1123 label.`, {
      hint: 'Use lower-case letters, digits and "-", starting and ending with a letter or digit, at most 63 characters.',
    });
  }
  const file = path.join(options.dir, 'mlp.yaml');
  try {
    const schemaPath = path.relative(options.dir, SCHEMA_FILE).split(path.sep).join('/');
    await writeFile(file, mlpYamlTemplate(name, schemaPath), { flag: options.force ? 'w' : 'wx' });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      throw new UsageError(`${file} already exists; mlp init leaves it as it is.`, { hint: 'Pass --force to overwrite it.' });
    }
    if (code === 'ENOENT') {
      throw new UsageError(`The directory ${options.dir} does not exist.`, { hint: 'Create it first, or pass an existing -C <dir>.' });
    }
    throw error;
  }
  return { file, name };
}
