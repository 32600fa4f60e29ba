/**
 * `make openapi`: writes docs/openapi.json from the routes' zod schemas. `--check` only compares
 * and exits 1 on a difference (the unit test does the same).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '@couponkill/servers';
import { buildOpenApi, renderOpenApi } from './document.js';

export const OPENAPI_FILE = join(REPO_ROOT, 'docs', 'openapi.json');

const text = renderOpenApi();
if (process.argv.includes('--check')) {
  const current = readFileSync(OPENAPI_FILE, 'utf8');
  if (current !== text) {
    process.stderr.write('docs/openapi.json differs from the routes: run make openapi\n');
    process.exit(1);
  }
} else {
  writeFileSync(OPENAPI_FILE, text);
  process.stdout.write(`wrote ${OPENAPI_FILE} (${Object.keys(buildOpenApi()['paths'] as object).length} paths)\n`);
}
