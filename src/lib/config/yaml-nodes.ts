/**
 * What the yaml library accepts when parsing but throws on when building plain values (`toJS`): an alias of
 * an anchor that is not defined before it, an alias inside the node it refers to (a cycle), a merge key
 * (`<<`) whose value is not a mapping, and more aliases than the limit. Found here first, with their path and
 * place in the file, so a strange mlp.yaml is a config error rather than a crash.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type Node } from 'yaml';
import type { FieldPath } from './locate.js';

export interface NodeProblem {
  path: FieldPath;
  /** Offset in the file of the node at fault. */
  offset: number;
  message: string;
  hint?: string;
}

export type PlainValue = { ok: true; value: unknown } | { ok: false; problems: NodeProblem[] };

const MAX_ALIAS_COUNT = 1000;
const MERGE_KEY = '<<';

/** The document as plain values, or the problems that keep it from being one. */
export function plainValue(doc: Document): PlainValue {
  const problems = nodeProblems(doc);
  if (problems.length > 0) return { ok: false, problems };
  try {
    return { ok: true, value: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) };
  } catch (error) {
    // The alias limit guards against "billion laughs" expansion; anything else the library may throw is
    // reported the same way, at the first alias if there is one (that is nearly always the cause).
    const first = firstAlias(doc);
    const reason = error instanceof Error ? error.message : String(error);
    const excessive = /alias count/i.test(reason);
    return {
      ok: false,
      problems: [
        {
          path: first?.path ?? [],
          offset: first?.offset ?? 0,
          message: excessive
            ? `expands aliases to more than ${MAX_ALIAS_COUNT} values`
            : `cannot be read as YAML: ${reason.split('\n')[0]}`,
          ...(excessive ? { hint: 'write the values out instead of nesting aliases of aliases' } : {}),
        },
      ],
    };
  }
}

interface Visit {
  node: unknown;
  path: FieldPath;
  ancestors: readonly unknown[];
}

function nodeProblems(doc: Document): NodeProblem[] {
  const problems: NodeProblem[] = [];
  const visit = ({ node, path, ancestors }: Visit): void => {
    if (isAlias(node)) {
      const target = node.resolve(doc);
      if (target === undefined) {
        problems.push({
          path,
          offset: start(node),
          message: `is an alias *${node.source} of no anchor`,
          hint: `define &${node.source} before the alias, or write the value out`,
        });
      } else if (ancestors.includes(target)) {
        problems.push({ path, offset: start(node), message: `is an alias *${node.source} of a node that contains it (a cycle)` });
      }
      return;
    }
    const inside = [...ancestors, node];
    const special = specialType(node);
    if (special !== undefined) {
      const hint = special.startsWith('a timestamp')
        ? 'quote it to keep it text'
        : 'mlp.yaml takes text, numbers, true/false, lists and mappings';
      problems.push({ path, offset: start(node), message: `is ${special}`, hint });
      return;
    }
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const name = keyName(pair.key);
        if (isMergeKey(pair.key) && !isMergeSource(doc, pair.value)) {
          problems.push({
            path: [...path, MERGE_KEY],
            offset: start(pair.value) || start(pair.key),
            message: 'merges only mappings: give a mapping, an alias of one (<<: *defaults), or a list of them',
          });
        }
        visit({ node: pair.key, path, ancestors: inside });
        visit({ node: pair.value, path: [...path, name], ancestors: inside });
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => visit({ node: item, path: [...path, index], ancestors: inside }));
    }
  };
  visit({ node: doc.contents, path: [], ancestors: [] });
  return problems;
}

/** `<<` written plain: the parser makes its value a symbol (a quoted "<<" is an ordinary key). */
function isMergeKey(key: unknown): boolean {
  return isScalar(key) && typeof key.value === 'symbol';
}

/** An alias of no anchor counts as a source here: it is reported as that. */
function isMergeSource(doc: Document, value: unknown): boolean {
  const source = (node: unknown) => (isAlias(node) ? (node.resolve(doc) ?? true) : node);
  const resolved = source(value);
  if (resolved === true || isMap(resolved)) return true;
  return (
    isSeq(resolved) &&
    resolved.items.every((item) => {
      const one = source(item);
      return one === true || isMap(one);
    })
  );
}

const SPECIAL_COLLECTIONS: Record<string, string> = {
  'tag:yaml.org,2002:set': 'a set (!!set)',
  'tag:yaml.org,2002:omap': 'an ordered map (!!omap)',
  'tag:yaml.org,2002:pairs': 'a list of pairs (!!pairs)',
};

/**
 * YAML types that toJS turns into something other than JSON's (a Buffer for !!binary, a Date for a YAML 1.1
 * timestamp, a Set or Map): zod would read a Buffer as a mapping with a hundred unknown keys.
 */
function specialType(node: unknown): string | undefined {
  if (isScalar(node)) {
    const value = node.value;
    if (value instanceof Uint8Array) return 'binary data (!!binary)';
    if (value instanceof Date) return `a timestamp (${node.source ?? value.toISOString()})`;
    return undefined;
  }
  const tag = (node as Node | null | undefined)?.tag;
  return (isMap(node) || isSeq(node)) && tag !== undefined ? SPECIAL_COLLECTIONS[tag] : undefined;
}

function firstAlias(doc: Document): { path: FieldPath; offset: number } | undefined {
  let found: { path: FieldPath; offset: number } | undefined;
  const visit = (node: unknown, path: FieldPath): void => {
    if (found !== undefined) return;
    if (isAlias(node)) found = { path, offset: start(node) };
    else if (isMap(node)) for (const pair of node.items) visit(pair.value, [...path, keyName(pair.key)]);
    else if (isSeq(node)) node.items.forEach((item, index) => visit(item, [...path, index]));
  };
  visit(doc.contents, []);
  return found;
}

/** A key as toJS names it: a merge key's value is a symbol, an absent key is "". */
function keyName(key: unknown): string {
  if (isScalar(key)) {
    const value = key.value;
    if (typeof value === 'symbol') return value.description ?? '';
    return value === null ? '' : String(value);
  }
  return key === null || key === undefined ? '' : String(key);
}

function start(node: unknown): number {
  return (node as Node | null | undefined)?.range?.[0] ?? 0;
}
