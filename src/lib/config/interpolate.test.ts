import { LineCounter, parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';
import { interpolateDocument, interpolateString } from './interpolate.js';

describe('interpolateString', () => {
  it('fills ${VAR} from the environment', () => {
    expect(interpolateString('s3://${BUCKET}/data', { BUCKET: 'models' })).toEqual({ value: 's3://models/data', problems: [] });
  });

  it('uses the default of ${VAR:-default} when the variable is unset or empty', () => {
    expect(interpolateString('${REGION:-us-east-1}', {}).value).toBe('us-east-1');
    expect(interpolateString('${REGION:-us-east-1}', { REGION: '' }).value).toBe('us-east-1');
    expect(interpolateString('${REGION:-us-east-1}', { REGION: 'eu-west-1' }).value).toBe('eu-west-1');
    expect(interpolateString('${EMPTY:-}', {}).value).toBe('');
  });

  it('reports an unset variable without a default, with the hint to export it or give a default', () => {
    const result = interpolateString('--token ${TOKEN}', {});
    expect(result.problems).toEqual([
      { message: 'uses ${TOKEN}, which is not set', hint: 'export TOKEN=…, or give a default: ${TOKEN:-value}' },
    ]);
    expect(result.value).toBe('--token ${TOKEN}');
  });

  it('accepts a variable that is set to the empty string', () => {
    expect(interpolateString('a${EMPTY}b', { EMPTY: '' })).toEqual({ value: 'ab', problems: [] });
  });

  it('turns $${ into a literal ${', () => {
    expect(interpolateString('echo $${HOME} and ${USER}', { USER: 'ml', HOME: '/root' })).toEqual({
      value: 'echo ${HOME} and ml',
      problems: [],
    });
  });

  it('leaves ${MLP_*} references for mlp to fill at run time, even when set', () => {
    const text = 'python train.py --out ${MLP_OUTPUT_DIR} --version ${MLP_MODEL_VERSION:-dev}';
    expect(interpolateString(text, { MLP_OUTPUT_DIR: '/tmp/x' })).toEqual({ value: text, problems: [] });
  });

  it('reports malformed references', () => {
    expect(interpolateString('${not valid}', {}).problems[0]?.message).toBe('has an invalid variable reference "${not valid}"');
    expect(interpolateString('${}', {}).problems).toHaveLength(1);
    expect(interpolateString('oops ${OPEN', {}).problems[0]?.message).toBe('has an unterminated "${"');
  });

  it('leaves text without references alone', () => {
    expect(interpolateString('plain $HOME text', {})).toEqual({ value: 'plain $HOME text', problems: [] });
  });
});

describe('interpolateDocument', () => {
  const load = (text: string) => parseDocument(text, { lineCounter: new LineCounter() });

  it('interpolates values in place, not keys, and re-reads unquoted values', () => {
    const doc = load(['replicas: ${N:-2}', 'quoted: "${N:-2}"', '${KEY}: x', 'list: [a, "${X}"]', 'flag: ${ON:-true}'].join('\n'));
    const problems = interpolateDocument(doc, { X: 'y' });
    expect(problems).toEqual([]);
    expect(doc.toJS()).toEqual({ replicas: 2, quoted: '2', '${KEY}': 'x', list: ['a', 'y'], flag: true });
  });

  it('returns each problem with the path of its value', () => {
    const doc = load(['services:', '  - name: a', '    env: { TOKEN: "${TOKEN}" }'].join('\n'));
    expect(interpolateDocument(doc, {})).toEqual([
      {
        path: ['services', 0, 'env', 'TOKEN'],
        message: 'uses ${TOKEN}, which is not set',
        hint: 'export TOKEN=…, or give a default: ${TOKEN:-value}',
      },
    ]);
  });
});
