/** Every command of the product, in the order `mlp --help` lists them. */
import type { CommandDefinition } from '../lib/command.js';
import build from './build.js';
import debug from './debug.js';
import deploy from './deploy.js';
import diff from './diff.js';
import init from './init.js';
import logs from './logs.js';
import push from './push.js';
import render from './render.js';
import rollback from './rollback.js';
import scale from './scale.js';
import serve from './serve.js';
import status from './status.js';
import test from './test.js';
import train from './train.js';

export const COMMANDS: readonly CommandDefinition[] = [
  init,
  train,
  build,
  push,
  render,
  diff,
  deploy,
  test,
  rollback,
  status,
  logs,
  scale,
  debug,
  serve,
];
