#!/usr/bin/env node
// Copies the files the Helm chart renders from but cannot reach (a chart reads only files inside
// itself) into helm/couponkill/files/: the Seckill CRD, its example, the operator's RBAC and
// docs/openapi.json (published by user-auth). The per-function files (functions.json, routes.yaml)
// are written from the function manifests by scripts/functions.mjs.
//   node scripts/chart-files.mjs           write the copies
//   node scripts/chart-files.mjs --check   exit 1 when a copy differs from its source
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const generated = (source) =>
  `# GENERATED from ${source} by \`node scripts/chart-files.mjs\`; do not edit.\n` +
  '# `make lint` fails when this copy drifts from the source.\n';
const copies = [
  { source: 'operator/crds/seckill.couponkill.io.yaml', target: 'helm/couponkill/files/seckill-crd.yaml' },
  { source: 'operator/examples/seckill.yaml', target: 'helm/couponkill/files/seckill-example.yaml' },
  { source: 'operator/deploy/rbac.yaml', target: 'helm/couponkill/files/operator-rbac.yaml' },
  // JSON has no comments: the copy is byte-identical, and the check says where it comes from.
  { source: 'docs/openapi.json', target: 'helm/couponkill/files/openapi.json', header: '' },
].map((c) => ({ header: generated(c.source), ...c }));

let drifted = false;
for (const { source, target, header } of copies) {
  const wanted = header + readFileSync(join(root, source), 'utf8');
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(join(root, target), 'utf8');
    } catch {
      // missing counts as drift
    }
    if (current !== wanted) {
      console.error(`${target} differs from ${source}: run \`node scripts/chart-files.mjs\``);
      drifted = true;
    }
  } else {
    writeFileSync(join(root, target), wanted);
  }
}
if (drifted) process.exit(1);
