/**
 * Request bodies for, and response bodies from, a SageMaker endpoint. Built-in XGBoost takes CSV rows and
 * answers with one score per row (binary:logistic); framework containers take `{"instances": [[...]]}` and
 * answer `{"predictions": [...]}` whose items are scores, probability rows, or objects carrying them.
 */
import { argmaxRow, type Prediction } from './backend.js';
import type { SageMakerContentType } from './config.js';
import { BackendError } from './errors.js';
import type { ClassLabel } from './model-metadata.js';

export function encodeRows(rows: Float32Array, rowCount: number, featureCount: number, contentType: SageMakerContentType): string {
  const lines = new Array<string>(rowCount);
  for (let r = 0; r < rowCount; r++) lines[r] = rows.subarray(r * featureCount, (r + 1) * featureCount).join(',');
  return contentType === 'text/csv' ? lines.join('\n') : `{"instances":[[${lines.join('],[')}]]}`;
}

/** Parses what the endpoint answered; anything that does not fit rowCount × classes is a 502. */
export function decodePrediction(
  body: string,
  responseContentType: string | undefined,
  classes: readonly ClassLabel[],
  rowCount: number,
): Prediction {
  const items = looksLikeJson(body, responseContentType) ? jsonItems(body) : csvItems(body, rowCount, classes.length);
  if (items.length !== rowCount) throw unexpected(`${items.length} predictions for ${rowCount} rows`, body);
  const classCount = classes.length;
  const probabilities = new Float32Array(rowCount * classCount);
  const labels = new Array<ClassLabel>(rowCount);
  for (let row = 0; row < rowCount; row++) {
    const item = items[row];
    const given = scoreOrRow(item);
    if (typeof given === 'number') {
      if (classCount === 2) {
        // One score per row is P(classes[1]), as XGBoost's binary:logistic writes it.
        probabilities[row * 2] = 1 - given;
        probabilities[row * 2 + 1] = given;
      } else if (Number.isInteger(given) && given >= 0 && given < classCount) {
        // multi:softmax writes the class index; no probabilities come with it.
        probabilities[row * classCount + given] = 1;
      } else {
        throw unexpected(`prediction ${row} is ${given}, neither a class index nor a binary score`, body);
      }
    } else if (given !== undefined && given.length === classCount) {
      probabilities.set(given, row * classCount);
    } else {
      throw unexpected(`prediction ${row} has no score or ${classCount} probabilities`, body);
    }
    const explicit = isObject(item) ? (item.predicted_label ?? item.label) : undefined;
    labels[row] =
      typeof explicit === 'number' || typeof explicit === 'string'
        ? matchClass(explicit, classes)
        : (classes[argmaxRow(probabilities, row, classCount)] as ClassLabel);
  }
  return { labels, probabilities };
}

function looksLikeJson(body: string, contentType: string | undefined): boolean {
  if (contentType?.includes('json')) return true;
  const first = body.trimStart()[0];
  return first === '{' || first === '[';
}

function jsonItems(body: string): unknown[] {
  let document: unknown;
  try {
    document = JSON.parse(body);
  } catch {
    throw unexpected('invalid JSON', body);
  }
  const items = isObject(document) ? document.predictions : document;
  if (!Array.isArray(items)) throw unexpected('no "predictions" array', body);
  return items;
}

/** CSV answers are either one score per row or one row of probabilities per line. */
function csvItems(body: string, rowCount: number, classCount: number): unknown[] {
  const values = body
    .split(/[\s,]+/)
    .filter((value) => value !== '')
    .map(Number);
  if (values.some((value) => !Number.isFinite(value))) throw unexpected('non-numeric CSV', body);
  if (values.length === rowCount) return values;
  if (values.length === rowCount * classCount) {
    return Array.from({ length: rowCount }, (_, row) => values.slice(row * classCount, (row + 1) * classCount));
  }
  throw unexpected(`${values.length} CSV values for ${rowCount} rows`, body);
}

function scoreOrRow(item: unknown): number | number[] | undefined {
  if (typeof item === 'number') return item;
  if (Array.isArray(item)) return item.every((v) => typeof v === 'number') ? (item as number[]) : undefined;
  if (!isObject(item)) return undefined;
  if (Array.isArray(item.probabilities)) return scoreOrRow(item.probabilities);
  if (typeof item.score === 'number') return item.score;
  if (typeof item.probability === 'number') return item.probability;
  return undefined;
}

function matchClass(value: number | string, classes: readonly ClassLabel[]): ClassLabel {
  const match = classes.find((label) => String(label) === String(value));
  if (match === undefined)
    throw new BackendError(`SageMaker endpoint predicted label ${JSON.stringify(value)}, which is not in metadata.json classes`);
  return match;
}

function unexpected(what: string, body: string): BackendError {
  const excerpt = body.length > 120 ? `${body.slice(0, 120)}…` : body;
  return new BackendError(`SageMaker endpoint returned an unexpected response (${what}): ${JSON.stringify(excerpt)}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
