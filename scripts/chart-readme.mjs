#!/usr/bin/env node
// Writes the Parameters section of helm/couponkill/README.md from the `## @param` lines of
// values.yaml with @bitnami/readme-generator-for-helm, formatted by Prettier like every other
// Markdown file. The tool also fails when a value has no @param line or a @param names no value.
// Only its README writer is used: values.schema.json stays hand-written (strict, closed objects).
//   node scripts/chart-readme.mjs           rewrite the table
//   node scripts/chart-readme.mjs --check   exit 1 when the table is stale
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const chart = join(root, 'helm/couponkill');
const readme = join(chart, 'README.md');
const check = process.argv.includes('--check');
const { runReadmeGenerator } = createRequire(import.meta.url)('@bitnami/readme-generator-for-helm');

// The tool rewrites the README it is given in place and logs every step: it works on a copy,
// and its log is shown only when it fails.
const scratch = mkdtempSync(join(tmpdir(), 'chart-readme-'));
const log = [];
const consoleLog = console.log;
let generated;
try {
  copyFileSync(readme, join(scratch, 'README.md'));
  console.log = (...args) => log.push(args.join(' '));
  runReadmeGenerator({ values: join(chart, 'values.yaml'), readme: join(scratch, 'README.md') });
  console.log = consoleLog;
  generated = readFileSync(join(scratch, 'README.md'), 'utf8');
} catch (error) {
  console.log = consoleLog;
  console.error(log.filter((line) => !line.startsWith('Skipping check')).join('\n'));
  console.error(`helm/couponkill/values.yaml: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

const options = { ...(await prettier.resolveConfig(readme)), filepath: readme };
const wanted = await prettier.format(generated, options);
if (check) {
  if (readFileSync(readme, 'utf8') !== wanted) {
    console.error(
      'helm/couponkill/README.md: the Parameters table differs from the @param lines in values.yaml: run `make chart-files`',
    );
    process.exit(1);
  }
} else {
  writeFileSync(readme, wanted);
}
