import { describe, expect, it } from 'vitest';
import { resolveCommand, splitWords } from './command-line.js';

const values = { MLP_OUTPUT_DIR: '/tmp/out dir', MLP_MODEL_VERSION: '20250101T000000Z' };

describe('resolveCommand', () => {
  it('splits a plain string and fills the placeholders as single words', () => {
    expect(resolveCommand('python train.py --out ${MLP_OUTPUT_DIR} --version=$MLP_MODEL_VERSION', values)).toEqual({
      file: 'python',
      args: ['train.py', '--out', '/tmp/out dir', '--version=20250101T000000Z'],
    });
  });

  it('honours quotes and backslashes like sh', () => {
    expect(splitWords(`python3 -c "import sys; print('boom'); sys.exit(3)"`)).toEqual([
      'python3',
      '-c',
      "import sys; print('boom'); sys.exit(3)",
    ]);
    expect(splitWords(`echo 'a  b' c\\ d "e \\"f\\""`)).toEqual(['echo', 'a  b', 'c d', 'e "f"']);
  });

  it('refuses a string that needs a shell, since mlp runs commands without one', () => {
    for (const command of [
      'cd src && python train.py',
      'python train.py | tee log',
      'python train.py > log',
      'python $SCRIPT',
      'FOO=1 python x.py',
      'ls *.py',
      'echo "unterminated',
    ]) {
      expect(() => resolveCommand(command, values), command).toThrow(/uses shell syntax/);
    }
    expect(resolveCommand(['sh', '-c', 'cd src && python train.py --out "$1"', 'sh', '${MLP_OUTPUT_DIR}'], values).args.at(-1)).toBe(
      '/tmp/out dir',
    );
  });

  it('runs a list as it is, filling placeholders', () => {
    expect(resolveCommand(['python', 'train.py', '--out', '${MLP_OUTPUT_DIR}/model'], values)).toEqual({
      file: 'python',
      args: ['train.py', '--out', '/tmp/out dir/model'],
    });
  });

  it('rejects an empty command', () => {
    expect(() => resolveCommand([], values)).toThrow(/empty/);
    expect(() => resolveCommand('  ', values)).toThrow(/empty/);
  });
});
