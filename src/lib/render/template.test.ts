import { describe, expect, it } from 'vitest';
import { MlpError } from '../errors.js';
import { renderTemplate } from './template.js';

const context = {
  name: 'fraud',
  port: 8080,
  ha: true,
  off: false,
  none: null,
  labels: { app: 'fraud', tier: 'ml' },
  args: ['--port', '8080'],
  service: { replicas: 3, roleArn: null, env: { A: '1' } },
};

const render = (text: string, ctx: object = context) => renderTemplate('templates/k8s/test.yaml', text, ctx as Record<string, unknown>);

function renderError(text: string): MlpError {
  try {
    render(text);
  } catch (error) {
    if (error instanceof MlpError) return error;
    throw error;
  }
  throw new Error('rendered without an error');
}

describe('renderTemplate', () => {
  it('replaces a whole-scalar placeholder with the value, keeping its type', () => {
    const [doc] = render('n: ${port}\nb: ${ha}\nl: ${labels}\na: ${args}\ns: ${name}\nq: "${port}"\nf: { x: "${service.replicas}" }\n');
    expect(doc).toEqual({ n: 8080, b: true, l: { app: 'fraud', tier: 'ml' }, a: ['--port', '8080'], s: 'fraud', q: 8080, f: { x: 3 } });
  });

  it('interpolates placeholders among other text as a string', () => {
    const [doc] = render('image: repo/${name}:${port}\nflag: "${ha}-x"\nliteral: $${not.a.path}\n');
    expect(doc).toEqual({ image: 'repo/fraud:8080', flag: 'true-x', literal: '${not.a.path}' });
  });

  it('drops keys and list items whose value is null', () => {
    const [doc] = render('a: ${none}\nb: ${service.roleArn}\nc: 1\nlist:\n  - ${none}\n  - 2\n');
    expect(doc).toEqual({ c: 1, list: [2] });
  });

  it('keeps a document only when its x-mlp-when is truthy, and removes the key', () => {
    const text = 'x-mlp-when: ${ha}\nkind: A\n---\nx-mlp-when: ${off}\nkind: B\n---\nx-mlp-when: ${service.roleArn}\nkind: C\n';
    expect(render(text)).toEqual([{ kind: 'A' }]);
  });

  it('does not look at the rest of a document that x-mlp-when leaves out', () => {
    expect(render('x-mlp-when: ${off}\nkind: ${no.such.path}\n')).toEqual([]);
  });

  it('applies x-mlp-when to nested mappings and list items too', () => {
    const [doc] = render(
      'annotations:\n  x-mlp-when: ${none}\n  a: b\nenv:\n  - name: A\n  - x-mlp-when: ${off}\n    name: B\n  - x-mlp-when: ${port}\n    name: C\n',
    );
    expect(doc).toEqual({ env: [{ name: 'A' }, { name: 'C' }] });
  });

  it('merges a map with <<', () => {
    const [doc] = render('labels:\n  <<: ${labels}\n  extra: yes\n');
    expect(doc).toEqual({ labels: { app: 'fraud', tier: 'ml', extra: 'yes' } });
  });

  it('never hands out the context objects themselves', () => {
    const [doc] = render('l: ${labels}\n') as Array<{ l: Record<string, string> }>;
    doc!.l.app = 'changed';
    expect(context.labels.app).toBe('fraud');
  });

  it('names the file, line and path of an unknown placeholder, with a suggestion (exit kind render)', () => {
    const error = renderError('kind: A\nspec:\n  replicas: ${service.replica}\n');
    expect(error.kind).toBe('render');
    expect(error.exitCode).toBe(30);
    expect(error.message).toContain('templates/k8s/test.yaml:3:13');
    expect(error.message).toContain('${service.replica}');
    expect(error.message).toContain('did you mean ${service.replicas}');
    expect(error.hint).toContain('service has: replicas, roleArn, env');
  });

  it('refuses an unknown placeholder inside text, a path through a non-map and a missing top-level name', () => {
    expect(renderError('a: x-${nme}\n').message).toMatch(/test\.yaml:1:4: unknown placeholder \$\{nme\}/);
    expect(renderError('a: ${name.first}\n').message).toContain('unknown placeholder ${name.first}');
    expect(renderError('a: ${spec}\n').hint).toContain('the render context has: name, port');
  });

  it('refuses empty or structured values inside text, malformed placeholders and placeholders in keys', () => {
    expect(renderError('a: x-${none}\n').message).toContain('${none} is empty');
    expect(renderError('a: x-${labels}\n').message).toContain('${labels} is not a scalar');
    expect(renderError('a: ${port + 1}\n').message).toContain('is not a placeholder');
    expect(renderError('a: x-${name\n').message).toContain('unclosed placeholder');
    expect(renderError('${name}: 1\n').message).toContain('not allowed in keys');
  });

  it('reports YAML syntax errors with their position', () => {
    expect(renderError('a: [1, 2\n').message).toMatch(/^templates\/k8s\/test\.yaml:\d+:\d+: YAML syntax error/);
  });
});
