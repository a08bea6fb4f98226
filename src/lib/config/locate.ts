/**
 * From a field path to where it is written in mlp.yaml: line and column (1-based) of the YAML node, or of
 * its key, or — for a key that is missing — of the nearest mapping that should hold it.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

export type FieldPath = ReadonlyArray<PropertyKey>;

export interface Position {
  line: number;
  column: number;
}

export interface Located extends Position {
  /** How many segments of the path exist in the file (equal to the path's length when all do). */
  depth: number;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `services[0].autoscaling.max`, as users write it; the root is the empty string. */
export function formatPath(path: FieldPath): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (typeof segment === 'string' && IDENTIFIER.test(segment)) text += text === '' ? segment : `.${segment}`;
    else text += `[${JSON.stringify(String(segment))}]`;
  }
  return text;
}

export class SourceLocator {
  constructor(
    private readonly doc: Document,
    private readonly lineCounter: LineCounter,
  ) {}

  /** Position of the offset in the file. */
  position(offset: number): Position {
    const { line, col } = this.lineCounter.linePos(offset);
    return { line, column: col };
  }

  /**
   * Where `path` is written. With `key`, the position of the last segment's key (for unknown or invalid keys)
   * rather than of its value.
   */
  locate(path: FieldPath, options: { key?: boolean } = {}): Located {
    let node: unknown = this.doc.contents;
    let at = this.start(node) ?? 0;
    let depth = 0;
    for (const [index, segment] of path.entries()) {
      if (isAlias(node)) node = node.resolve(this.doc);
      let next: unknown;
      let keyStart: number | undefined;
      if (isMap(node)) {
        const pair = node.items.find((item) => isPair(item) && keyText(item.key) === String(segment));
        if (pair === undefined) break;
        keyStart = this.start(pair.key);
        next = pair.value;
      } else if (isSeq(node) && typeof segment === 'number') {
        next = node.items[segment];
        if (next === undefined) break;
      } else {
        break;
      }
      depth += 1;
      const last = index === path.length - 1;
      // A key with no value (`model:`) has no value node; its key is the best place to point at.
      at = (last && options.key ? keyStart : this.start(next)) ?? keyStart ?? at;
      node = next;
    }
    return { ...this.position(at), depth };
  }

  private start(node: unknown): number | undefined {
    const range = (node as Node | null | undefined)?.range;
    return range ? range[0] : undefined;
  }
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return typeof key === 'string' ? key : undefined;
}
