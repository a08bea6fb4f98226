#!/usr/bin/env node
// Renders the step summary of a real `mlp deploy` in a GitHub Actions run to docs/github-step-summary.png, for the
// README. Without --summary it deploys a copy of examples/fraud on the local target (--profile bench --skip-train,
// the model examples/fraud has registered) with GITHUB_ACTIONS=true and GITHUB_STEP_SUMMARY pointing at a temporary
// file, then removes the container it started. The summary (HTML from @actions/core's builder) is put into a page
// styled like GitHub's summary pane and screenshotted with playwright-core in Debian's chromium (test/bench/chromium.sh).
//
//   node scripts/build.mjs && node scripts/render-step-summary.mjs [--summary FILE] [--out docs/github-step-summary.png]
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const root = path.resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    summary: { type: 'string' },
    out: { type: 'string', default: path.join(root, 'docs', 'github-step-summary.png') },
  },
});
const CHROMIUM = process.env.MLP_BENCH_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Deploys a copy of examples/fraud as a workflow run would and returns the step summary it wrote. */
async function deploySummary() {
  const example = path.join(root, 'examples', 'fraud');
  if (!existsSync(path.join(example, '.mlp', 'models', 'fraud', 'latest'))) {
    throw new Error('examples/fraud has no registered model: run `npx mlp train -C examples/fraud` first');
  }
  const container = 'mlp-fraud-fraud';
  if (spawnSync('docker', ['container', 'inspect', container], { stdio: 'ignore' }).status === 0) {
    throw new Error(`${container} exists (someone's deploy of examples/fraud); pass --summary FILE instead`);
  }
  const work = mkdtempSync(path.join(tmpdir(), 'mlp-summary-'));
  const project = path.join(work, 'fraud');
  try {
    cpSync(example, project, { recursive: true, filter: (from) => !/[\\/]\.mlp[\\/](builds|build|venvs|staging)([\\/]|$)/.test(from) });
    const port = await freePort();
    const config = readFileSync(path.join(project, 'mlp.yaml'), 'utf8').replace('    port: 8080\n', `    port: ${port}\n`);
    writeFileSync(path.join(project, 'mlp.yaml'), config.replace('$schema=../../schema', `$schema=${root}/schema`));
    const summary = path.join(work, 'summary.html');
    const output = path.join(work, 'output.txt');
    writeFileSync(summary, '');
    writeFileSync(output, '');
    const run = spawnSync(
      process.execPath,
      [path.join(root, 'bin', 'mlp'), 'deploy', '--target', 'local', '--profile', 'bench', '--skip-train'],
      {
        cwd: project,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          CI: 'true',
          GITHUB_ACTIONS: 'true',
          GITHUB_WORKSPACE: work,
          GITHUB_STEP_SUMMARY: summary,
          GITHUB_OUTPUT: output,
          ...(process.env.MLP_DOCKER ? { MLP_DOCKER: process.env.MLP_DOCKER } : {}),
        },
        encoding: 'utf8',
      },
    );
    process.stderr.write(run.stderr);
    if (run.status !== 0) throw new Error(`mlp deploy exited ${run.status}`);
    return readFileSync(summary, 'utf8');
  } finally {
    spawnSync('docker', ['rm', '-f', container, `${container}-previous`], { stdio: 'ignore' });
    rmSync(work, { recursive: true, force: true });
  }
}

/** GitHub's summary pane, approximately: its font stack, table borders and code background. */
function page(summary) {
  return `<!doctype html><html><head><meta charset="utf-8"><style>
body { margin: 0; background: #f6f8fa; font: 14px/1.5 -apple-system, BlinkMacSystemFont, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; color: #1f2328; }
.pane { margin: 16px; background: #fff; border: 1px solid #d1d9e0; border-radius: 6px; }
.title { padding: 12px 16px; border-bottom: 1px solid #d1d9e0; font-weight: 600; }
.title span { color: #59636e; font-weight: 400; }
.markdown { padding: 8px 24px 16px; }
h2 { font-size: 1.5em; border-bottom: 1px solid #d1d9e0b3; padding-bottom: .3em; margin: 16px 0 12px; }
h3 { font-size: 1.25em; margin: 20px 0 10px; }
table { border-collapse: collapse; margin: 0 0 12px; display: block; overflow: auto; }
th, td { border: 1px solid #d1d9e0; padding: 6px 13px; text-align: left; }
th { font-weight: 600; } tr:nth-child(2n) td { background: #f6f8fa; }
code { font: 12px ui-monospace, SFMono-Regular, "DejaVu Sans Mono", Menlo, monospace; background: #818b981f; border-radius: 6px; padding: .2em .4em; }
pre { background: #f6f8fa; border-radius: 6px; padding: 16px; overflow: auto; } pre code { background: none; padding: 0; }
p { margin: 0 0 12px; }
</style></head><body><div class="pane" id="pane"><div class="title">deploy <span>summary</span></div><div class="markdown">${summary}</div></div></body></html>`;
}

const summary = values.summary ? readFileSync(values.summary, 'utf8') : await deploySummary();
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
try {
  const tab = await browser.newPage({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
  // Offline by construction: the page is a string and every request it might make is refused.
  await tab.route('**/*', (route) => route.abort());
  await tab.setContent(page(summary));
  await tab.locator('#pane').screenshot({ path: values.out });
  console.log(`wrote ${path.relative(process.cwd(), values.out)}`);
} finally {
  await browser.close();
}
