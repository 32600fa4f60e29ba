#!/usr/bin/env node
// Copies functions/routes.yaml (the public HTTP surface) into the Helm chart, which can only read
// files inside itself; the VirtualService is rendered from the copy.
//   node scripts/chart-routes.mjs           write helm/couponkill/files/routes.yaml
//   node scripts/chart-routes.mjs --check   exit 1 when the copy differs from the source
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'functions', 'routes.yaml');
const target = join(root, 'helm', 'couponkill', 'files', 'routes.yaml');
const header =
  '# GENERATED from functions/routes.yaml by `node scripts/chart-routes.mjs`; do not edit.\n' +
  '# `make lint` fails when this copy drifts from the source.\n';
const wanted = header + readFileSync(source, 'utf8');

if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // missing counts as drift
  }
  if (current !== wanted) {
    console.error(
      'helm/couponkill/files/routes.yaml differs from functions/routes.yaml: run `node scripts/chart-routes.mjs`',
    );
    process.exit(1);
  }
} else {
  writeFileSync(target, wanted);
}
