#!/usr/bin/env node
// Keeps TypeScript project references in step with package.json dependencies, so `tsc -b`
// builds workspaces in dependency order. `--check` fails (for CI) instead of writing.
import { readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const check = process.argv.includes('--check');
const dirs = ['shared', 'functions', 'tools']
  .flatMap((group) => (existsSync(join(root, group)) ? readdirSync(join(root, group)).map((d) => join(group, d)) : []))
  .concat(['operator'])
  .filter((dir) => existsSync(join(root, dir, 'package.json')) && existsSync(join(root, dir, 'tsconfig.json')));

const byName = new Map(
  dirs.map((dir) => [JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')).name, dir]),
);
let stale = [];

function update(file, next) {
  const text = `${JSON.stringify(next, null, 2)}\n`;
  if (readFileSync(file, 'utf8') === text) return;
  stale.push(relative(root, file));
  if (!check) writeFileSync(file, text);
}

for (const dir of dirs) {
  const pkg = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
  const deps = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }).filter((name) => byName.has(name));
  const file = join(root, dir, 'tsconfig.json');
  const config = JSON.parse(readFileSync(file, 'utf8'));
  const references = deps.sort().map((name) => ({ path: relative(join(root, dir), join(root, byName.get(name))) }));
  const { references: _old, ...rest } = config;
  update(file, references.length > 0 ? { ...rest, references } : rest);
}
const solution = join(root, 'tsconfig.json');
update(solution, { files: [], references: dirs.map((dir) => ({ path: dir })) });

if (stale.length > 0) {
  console.error(
    `${check ? 'out of date' : 'updated'}: ${stale.join(', ')}${check ? ' (run: node scripts/tsconfig-refs.mjs)' : ''}`,
  );
  if (check) process.exit(1);
}
