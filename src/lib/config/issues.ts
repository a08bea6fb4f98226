/**
 * zod's issues in mlp's words: `expected a number, got string "two"`, `unknown key "replica"; did you mean
 * "replicas"?`, `must be >= min (2)`. Positions are added by the caller (load.ts), from the path.
 */
import * as z from 'zod';
import type { FieldPath } from './locate.js';
import { didYouMean } from './suggest.js';

export interface PathIssue {
  path: FieldPath;
  /** Point at the key of the last path segment rather than at its value. */
  key?: boolean;
  message: string;
  hint?: string;
}

type Issue = z.core.$ZodIssue;
type Loose = Record<string, unknown>;

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
  record: 'a mapping',
  null: 'null',
};

export function describeValue(value: unknown): string {
  if (value === null) return 'null (an empty value)';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string':
      return `string ${JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)}`;
    case 'number':
    case 'boolean':
      return `${typeof value} ${String(value)}`;
    case 'object':
      return 'a mapping';
    default:
      return String(typeof value);
  }
}

const quoted = (values: readonly unknown[]): string => {
  const texts = values.map((value) => JSON.stringify(value));
  return texts.length <= 1 ? (texts[0] ?? '') : `${texts.slice(0, -1).join(', ')} or ${texts[texts.length - 1]}`;
};

/** Converts zod's issues, checked against `schema` with input `root` (parsed with `reportInput: true`). */
export function describeIssues(issues: readonly Issue[], schema: z.ZodType, root: unknown): PathIssue[] {
  return issues.flatMap((issue) => describeIssue(issue, issue.path, schema, root));
}

function describeIssue(issue: Issue, path: FieldPath, schema: z.ZodType, root: unknown): PathIssue[] {
  const loose = issue as unknown as Loose;
  const input = loose.input;
  const missing = !('input' in loose) || input === undefined;
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = knownKeys(schema, path, root);
      return issue.keys.map((name) => ({ path: [...path, name], key: true, message: `unknown key "${name}"${didYouMean(name, known)}` }));
    }
    case 'invalid_type': {
      const expected = TYPE_NAMES[issue.expected] ?? issue.expected;
      if (missing) return [{ path, message: `is required (${expected})` }];
      const hint =
        issue.expected === 'string' && (typeof input === 'number' || typeof input === 'boolean')
          ? 'quote the value to keep it a string'
          : undefined;
      return [{ path, message: `expected ${expected}, got ${describeValue(input)}`, ...(hint ? { hint } : {}) }];
    }
    case 'invalid_value': {
      const values = issue.values as readonly unknown[];
      if (missing) return [{ path, message: `is required: ${values.length === 1 ? quoted(values) : `one of ${quoted(values)}`}` }];
      const suggestion = typeof input === 'string' ? didYouMean(input, values.map(String)) : '';
      return [
        {
          path,
          message: `must be ${values.length === 1 ? quoted(values) : `one of ${quoted(values)}`}, got ${describeValue(input)}${suggestion}`,
        },
      ];
    }
    case 'invalid_union': {
      if (typeof loose.discriminator === 'string') {
        const options = (loose.options as unknown[] | undefined) ?? [];
        const value = input !== null && typeof input === 'object' ? (input as Loose)[loose.discriminator] : undefined;
        if (value === undefined) return [{ path, message: `is required: one of ${quoted(options)}` }];
        const suggestion = typeof value === 'string' ? didYouMean(value, options.map(String)) : '';
        return [{ path, message: `must be one of ${quoted(options)}, got ${describeValue(value)}${suggestion}` }];
      }
      return describeUnion(issue.errors, path, schema, root, input, missing);
    }
    case 'invalid_key': {
      const keyIssue = issue.issues[0];
      const why = keyIssue?.code === 'invalid_format' ? ': letters, digits and "_", not starting with a digit' : '';
      return [{ path, key: true, message: `key ${JSON.stringify(String(path[path.length - 1]))} is not a valid variable name${why}` }];
    }
    case 'too_small':
    case 'too_big': {
      const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
      const inclusive = issue.inclusive !== false;
      const got = missing ? '' : `, got ${describeValue(input)}`;
      if (issue.origin === 'array') {
        return [
          {
            path,
            message: `must have ${issue.code === 'too_small' ? 'at least' : 'at most'} ${String(bound)} item${Number(bound) === 1 ? '' : 's'}`,
          },
        ];
      }
      if (issue.origin === 'string') {
        if (issue.code === 'too_small' && Number(bound) === 1) return [{ path, message: 'must not be empty' }];
        return [{ path, message: `must be ${issue.code === 'too_small' ? 'at least' : 'at most'} ${String(bound)} characters long${got}` }];
      }
      const operator = issue.code === 'too_small' ? (inclusive ? '>=' : '>') : inclusive ? '<=' : '<';
      return [{ path, message: `must be ${operator} ${String(bound)}${got}` }];
    }
    case 'invalid_format':
      return [{ path, message: missing ? issue.message : `${issue.message}, got ${describeValue(input)}` }];
    default:
      return [{ path, message: issue.message }];
  }
}

/**
 * A plain union (`command: string | string[]`): when one branch matched the value's type, its deeper issues
 * say most; otherwise list what was expected.
 */
function describeUnion(
  branches: readonly (readonly Issue[])[],
  path: FieldPath,
  schema: z.ZodType,
  root: unknown,
  input: unknown,
  missing: boolean,
): PathIssue[] {
  const typed = branches.find((branch) => branch.every((issue) => !(issue.code === 'invalid_type' && issue.path.length === 0)));
  if (typed !== undefined) return typed.flatMap((issue) => describeIssue(issue, [...path, ...issue.path], schema, root));
  const expected = branches
    .flatMap((branch) =>
      branch.filter((issue) => issue.code === 'invalid_type').map((issue) => (issue.code === 'invalid_type' ? issue.expected : '')),
    )
    .map((name) => (name === 'array' ? 'a list of strings' : (TYPE_NAMES[name] ?? name)));
  const unique = [...new Set(expected)];
  const list = unique.length <= 1 ? (unique[0] ?? 'another value') : `${unique.slice(0, -1).join(', ')} or ${unique[unique.length - 1]}`;
  return [{ path, message: missing ? `is required (${list})` : `expected ${list}, got ${describeValue(input)}` }];
}

/** The keys the schema allows at `path` (for did-you-mean), following the input through unions. */
export function knownKeys(schema: z.ZodType, path: FieldPath, root: unknown): string[] {
  let current: z.ZodType | undefined = schema;
  let value: unknown = root;
  for (const segment of [...path, undefined]) {
    current = current === undefined ? undefined : unwrap(current, value);
    if (segment === undefined || current === undefined) break;
    value = value !== null && typeof value === 'object' ? (value as Loose)[segment as string] : undefined;
    if (current instanceof z.ZodObject) current = (current.shape as Record<string, z.ZodType>)[segment as string];
    else if (current instanceof z.ZodArray) current = current.element as z.ZodType;
    else if (current instanceof z.ZodRecord) current = current.valueType as z.ZodType;
    else current = undefined;
  }
  return current instanceof z.ZodObject ? Object.keys(current.shape) : [];
}

function unwrap(schema: z.ZodType, value: unknown): z.ZodType | undefined {
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodDefault || schema instanceof z.ZodPrefault) {
    return unwrap(schema.unwrap() as z.ZodType, value);
  }
  if (schema instanceof z.ZodPipe) return unwrap(schema.in as z.ZodType, value);
  if (schema instanceof z.ZodDiscriminatedUnion) {
    const discriminator = (schema.def as { discriminator: string }).discriminator;
    const wanted = value !== null && typeof value === 'object' ? (value as Loose)[discriminator] : undefined;
    const options = schema.options as z.ZodType[];
    return options.find(
      (option) => option instanceof z.ZodObject && (option.shape as Record<string, z.ZodType>)[discriminator]?.safeParse(wanted).success,
    );
  }
  return schema;
}
