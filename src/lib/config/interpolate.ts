/**
 * `${VAR}` and `${VAR:-default}` in mlp.yaml's string values, filled from the environment. `$${` is a literal
 * `${`. `${MLP_*}` references are left as they are: mlp fills them itself at run time (MLP_OUTPUT_DIR, …).
 */
import { isMap, isScalar, isSeq, parse, Scalar, type Document } from 'yaml';
import type { FieldPath } from './locate.js';

export type Env = Readonly<Record<string, string | undefined>>;

export interface InterpolationProblem {
  message: string;
  hint?: string;
}

export interface InterpolationResult {
  value: string;
  problems: InterpolationProblem[];
}

const REFERENCE = /\$\$\{|\$\{([^}]*)\}|\$\{/g;
const EXPRESSION = /^([A-Za-z_][A-Za-z0-9_]*)(?::-([\s\S]*))?$/;

/** Interpolates one string. Unset variables without a default are problems (and stay as written). */
export function interpolateString(text: string, env: Env): InterpolationResult {
  const problems: InterpolationProblem[] = [];
  const value = text.replace(REFERENCE, (match: string, inner: string | undefined) => {
    if (match === '$${') return '${';
    if (inner === undefined) {
      problems.push({ message: 'has an unterminated "${"', hint: 'close it with "}", or write "$${" for a literal "${"' });
      return match;
    }
    const expression = EXPRESSION.exec(inner);
    if (expression === null) {
      problems.push({
        message: `has an invalid variable reference "${match}"`,
        hint: 'write ${NAME} or ${NAME:-default}, where NAME is letters, digits and "_"; "$${" is a literal "${"',
      });
      return match;
    }
    const [, name, fallback] = expression as unknown as [string, string, string | undefined];
    if (name.startsWith('MLP_')) return match;
    const set = env[name];
    if (fallback !== undefined) return set === undefined || set === '' ? fallback : set;
    if (set === undefined) {
      problems.push({ message: `uses \${${name}}, which is not set`, hint: `export ${name}=…, or give a default: \${${name}:-value}` });
      return match;
    }
    return set;
  });
  return { value, problems };
}

export interface LocatedInterpolationProblem extends InterpolationProblem {
  path: FieldPath;
}

/**
 * Interpolates every string value of the document in place (keys are left alone) and returns the problems
 * with the path of their scalar. A plain (unquoted) scalar is re-read after interpolation, so
 * `replicas: ${REPLICAS:-2}` is the number 2, as if the value had been written there.
 */
export function interpolateDocument(doc: Document, env: Env): LocatedInterpolationProblem[] {
  const problems: LocatedInterpolationProblem[] = [];
  const walk = (node: unknown, path: PropertyKey[]): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? pair.key.value : pair.key;
        walk(pair.value, [...path, String(key)]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => walk(item, [...path, index]));
    } else if (isScalar(node) && typeof node.value === 'string' && node.value.includes('${')) {
      const result = interpolateString(node.value, env);
      for (const problem of result.problems) problems.push({ ...problem, path });
      if (result.value !== node.value) node.value = node.type === Scalar.PLAIN ? retype(result.value) : result.value;
    }
  };
  walk(doc.contents, []);
  return problems;
}

function retype(text: string): unknown {
  if (text === '' || /[\n:#[\]{},&*!|>'"%@`]/.test(text)) return text;
  try {
    const value: unknown = parse(text, { logLevel: 'silent' });
    return typeof value === 'number' || typeof value === 'boolean' ? value : text;
  } catch {
    return text;
  }
}
