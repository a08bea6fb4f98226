/**
 * mlp's Kubernetes templates: plain YAML documents, parsed with the yaml package and filled in node by node, so a
 * value can never break the YAML around it (no string templating, no quoting rules to get wrong).
 *
 *   key: ${a.b}              the value at a.b in the context, with its type: number, boolean, map or list
 *   name: "${a}-${b.c}"      a scalar with other text around placeholders is a string; each value must be a scalar
 *   key: ${a.optional}       a key whose value is null or undefined is dropped (so are such list items)
 *   x-mlp-when: ${a.flag}    in any mapping (a whole document, a list item, a nested map): the mapping is kept only
 *                            when the value is truthy; the key itself never appears in the output
 *   <<: ${a.map}             merges the map at a.map into this mapping (labels plus a few of the template's own)
 *   $${literal}              a literal "${literal}"
 *
 * A placeholder naming a path the context does not have is an error with the template's file:line:column, never an
 * empty string. Inside flow collections (`{ a: ${x} }`) quote the placeholder: "${x}" still keeps its type.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node, type YAMLMap } from 'yaml';
import { closest } from '../config/suggest.js';
import { MlpError } from '../errors.js';

export const WHEN_KEY = 'x-mlp-when';
const MERGE_KEY = '<<';
const PLACEHOLDER = /\$?\$\{([^}]*)\}/g;
const WHOLE = /^\$\{([^}]*)\}$/;
const PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** Marks a node that is left out of its parent (a mapping whose x-mlp-when is falsy). */
const OMIT = Symbol('omit');

export type TemplateContext = Readonly<Record<string, unknown>>;

/**
 * Renders every document of one template file; documents left out by x-mlp-when are not returned.
 * `file` names the template in errors (e.g. templates/k8s/service/deployment.yaml).
 */
export function renderTemplate(file: string, text: string, context: TemplateContext): unknown[] {
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter, uniqueKeys: true });
  if (!Array.isArray(documents)) return [];
  const results: unknown[] = [];
  for (const document of documents) {
    const [error] = document.errors;
    if (error) {
      const { line, col } = lineCounter.linePos(error.pos[0]);
      throw new MlpError('render', `${file}:${line}:${col}: YAML syntax error: ${error.message.split('\n')[0]}`, { hint: BUG_HINT });
    }
    const value = new Filler(file, lineCounter, document, context).fill(document.contents);
    if (value !== OMIT && value !== null && value !== undefined) results.push(value);
  }
  return results;
}

const BUG_HINT = "mlp's templates are part of mlp; if you did not edit them, this is a bug in mlp: report it.";

class Filler {
  constructor(
    private readonly file: string,
    private readonly lines: LineCounter,
    private readonly document: Document.Parsed,
    private readonly context: TemplateContext,
  ) {}

  fill(node: Node | null | undefined): unknown {
    if (node === null || node === undefined) return null;
    if (isAlias(node)) return this.fill(node.resolve(this.document) as Node | undefined);
    if (isScalar(node)) return typeof node.value === 'string' ? this.text(node.value, node) : node.value;
    if (isSeq(node)) {
      return node.items.map((item) => this.fill(item as Node)).filter((value) => value !== OMIT && value !== null && value !== undefined);
    }
    if (isMap(node)) return this.mapping(node);
    throw this.error(node, `unsupported YAML node ${String((node as Node).toString())}`);
  }

  private mapping(node: YAMLMap): unknown {
    const when = node.items.find((pair) => isScalar(pair.key) && pair.key.value === WHEN_KEY);
    // Decided before anything else is filled: a left-out document may name paths that only exist when it is kept.
    if (when && !this.fill(when.value as Node)) return OMIT;
    const result: Record<string, unknown> = {};
    for (const pair of node.items) {
      if (pair === when) continue;
      const key = pair.key as Node | null;
      if (!isScalar(key) || (typeof key.value !== 'string' && typeof key.value !== 'number'))
        throw this.error(key ?? node, 'keys must be plain strings');
      const name = String(key.value);
      if (name.includes('${')) throw this.error(key, `placeholders are not allowed in keys (${name})`);
      const value = this.fill(pair.value as Node | null);
      if (name === MERGE_KEY) {
        if (value === null || typeof value !== 'object' || Array.isArray(value)) throw this.error(key, '"<<" needs a map to merge');
        Object.assign(result, value);
      } else if (value !== OMIT && value !== null && value !== undefined) {
        result[name] = value;
      }
    }
    return result;
  }

  /** A string scalar: one whole placeholder keeps the value's type; otherwise placeholders are interpolated. */
  private text(value: string, node: Node): unknown {
    const whole = WHOLE.exec(value);
    if (whole) return copy(this.lookup(whole[1]!, node));
    if (!value.includes('${')) return value;
    const filled = value.replace(PLACEHOLDER, (match, path: string) => {
      if (match.startsWith('$$')) return match.slice(1);
      const found = this.lookup(path, node);
      if (typeof found === 'string' || typeof found === 'number' || typeof found === 'boolean') return String(found);
      throw this.error(
        node,
        `\${${path}} is ${found === null || found === undefined ? 'empty' : 'not a scalar'}, so it cannot be part of the text "${value}"`,
      );
    });
    if (filled.replace(/\$\{[^}]*\}/g, '').includes('${')) throw this.error(node, `unclosed placeholder in "${value}"`);
    return filled;
  }

  private lookup(path: string, node: Node): unknown {
    if (!PATH.test(path)) throw this.error(node, `\${${path}} is not a placeholder: use a dotted path such as \${service.port}`);
    let current: unknown = this.context;
    const segments = path.split('.');
    for (const [index, segment] of segments.entries()) {
      const map =
        current !== null && typeof current === 'object' && !Array.isArray(current) ? (current as Record<string, unknown>) : undefined;
      if (!map || !Object.hasOwn(map, segment)) {
        const parent = segments.slice(0, index).join('.');
        const known = map ? Object.keys(map) : [];
        const suggestion = closest(segment, known);
        throw this.error(
          node,
          `unknown placeholder \${${path}}${suggestion ? `; did you mean \${${[parent, suggestion].filter(Boolean).join('.')}}?` : ''}`,
          {
            hint: map ? `${parent || 'the render context'} has: ${known.join(', ')}` : `${parent} is ${JSON.stringify(current)}, not a map`,
          },
        );
      }
      current = map[segment];
    }
    return current;
  }

  private error(node: Node, message: string, options: { hint?: string } = {}): MlpError {
    const { line, col } = this.lines.linePos(node.range?.[0] ?? 0);
    return new MlpError('render', `${this.file}:${line}:${col}: ${message}`, { hint: options.hint ?? BUG_HINT });
  }
}

/** Templates never share objects with the context (or each other), so a caller may change what it gets. */
function copy(value: unknown): unknown {
  return value !== null && typeof value === 'object' ? structuredClone(value) : value;
}
