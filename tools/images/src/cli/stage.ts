/**
 * The Containerfile's build stage: `stage.ts --function <name> --out DIR` writes the deps,
 * deps-extra and code trees of one image, the same files the daemonless build packs into layers.
 * It imports nothing but ../stage.ts, so the container build copies no other tools package.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { imageTargets, stageImage } from '../stage.js';

/** The repository root (this file lives in tools/images/src/cli). */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const { values } = parseArgs({ options: { function: { type: 'string' }, out: { type: 'string' } } });
const name = values.function;
if (name === undefined || values.out === undefined) {
  console.error('usage: stage.ts --function <name> --out <dir>');
  process.exit(2);
}
if (!imageTargets(root).some((t) => t.name === name)) {
  console.error(`no image named ${name}`);
  process.exit(2);
}
stageImage(root, name, values.out);
