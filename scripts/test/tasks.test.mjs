// The verbs are one table (scripts/tasks/verbs.mjs) reached three ways: make, npm run and, on
// Windows, build.ps1. These checks keep the three in step with the table and with the verbs of the
// system we re-create, whose build.ps1 has the same verbs as its Makefile.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dockerPlan } from '../tasks/docker-images.mjs';
import { parseArgs, words } from '../tasks/main.mjs';
import { ROOT } from '../tasks/run.mjs';
import { publicVerbs } from '../tasks/verbs.mjs';

const SEED_VERBS = [
  'build-all-images',
  'deploy-chart',
  'deploy-chart-prod',
  'deploy-chart-canary',
  'build-and-push-all',
  'build-and-push-all-canary',
  'build-and-push-all-complete',
  'push-all-images-canary',
  'pull-dependency-images',
];

const read = (file) => readFileSync(join(ROOT, file), 'utf8');
const scripts = JSON.parse(read('package.json')).scripts;
const makefile = read('Makefile');
const buildPs1 = read('build.ps1');

/** The Makefile's targets: its VERBS list, rules of their own, and any target with a ## description. */
function makeTargets() {
  const joined = makefile.replace(/\\\n/g, ' ');
  const list = /^VERBS :=(.*)$/m.exec(joined)?.[1].trim().split(/\s+/) ?? [];
  const rules = [...makefile.matchAll(/^([a-zA-Z_-]+):(?!=)/gm)].map((m) => m[1]);
  return new Set([...list, ...rules]);
}

describe('verbs', () => {
  it('every verb of the seed system is an npm script, a make target and a build.ps1 verb', () => {
    const targets = makeTargets();
    for (const verb of SEED_VERBS) {
      expect(scripts[verb], `npm script ${verb}`).toBe(`node scripts/tasks.mjs ${verb}`);
      expect(targets.has(verb), `make target ${verb}`).toBe(true);
    }
    // build.ps1 offers the verbs the table marks as running on Windows: the seed's among them.
    const windows = publicVerbs()
      .filter((v) => v.windows)
      .map((v) => v.name);
    expect(windows).toEqual(expect.arrayContaining(SEED_VERBS));
    expect(buildPs1).toMatch(/& node \$tasks help --windows/);
    expect(buildPs1).toMatch(/& node \$tasks \$verb @rest/);
  });

  it('make, npm and the table have the same verbs', () => {
    const table = publicVerbs().map((v) => v.name);
    expect([...makeTargets()].sort()).toEqual([...table].sort());
    for (const verb of table) expect(scripts[verb], `npm script ${verb}`).toBe(`node scripts/tasks.mjs ${verb}`);
    for (const v of publicVerbs()) expect(v.about.length, `${v.name} has a description`).toBeGreaterThan(0);
  });

  it('every Makefile target with a ## description has an npm script', () => {
    for (const m of makefile.matchAll(/^([a-zA-Z_-]+):.*## /gm)) expect(scripts[m[1]], m[1]).toBeDefined();
  });

  it("takes variables as make's command line does, then the program's arguments", () => {
    expect(parseArgs(['REGISTRY=127.0.0.1:5000', '--NAMESPACE=ck', '--set', 'a=b', 'X=1'])).toEqual({
      vars: { REGISTRY: '127.0.0.1:5000', NAMESPACE: 'ck' },
      rest: ['--set', 'a=b', 'X=1'],
    });
    expect(words(`--start-in 20  --set "a=b c" 'd e' f\\ g`)).toEqual([
      '--start-in',
      '20',
      '--set',
      'a=b c',
      'd e',
      'f g',
    ]);
    expect(words('')).toEqual([]);
  });

  it('builds and pushes with Docker under the names of the daemonless build', () => {
    const plan = dockerPlan('build-and-push-all-canary', ['build', '--canary', '--push'], { REGISTRY: 'reg:5000/' });
    const version = JSON.parse(read('package.json')).version;
    expect(plan).toContainEqual(
      expect.arrayContaining([
        'build',
        '--build-arg',
        'FUNCTION=grab-coupon',
        '-t',
        `couponkill/grab-coupon:${version}-canary`,
      ]),
    );
    expect(plan).toContainEqual(expect.arrayContaining(['build', '--target', 'operator']));
    expect(plan).toContainEqual(['push', `reg:5000/couponkill/operator:${version}-canary`]);
    expect(() => dockerPlan('build-and-push-all', ['build', '--push'], {})).toThrow(/needs a registry: set REGISTRY/);
    expect(() => dockerPlan('image-base-packages', ['base-packages'], {})).toThrow(/Linux/);
  });
});
