import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { functionEnvironments } from '@couponkill/dev/environment';
import { loadRouteTable, routeFor } from '@couponkill/dev/gateway/route-table';
import { REPO_ROOT } from '@couponkill/servers';
import { kubeToolsBin } from '@couponkill/cluster';
import { buildOpenApi, loadContracts } from '@couponkill/openapi';

// docs/adding-a-function.md, done in a copy of the repository: a new folder with a manifest (and a
// contract) shows up in everything generated from the manifests, the chart's render, make dev's
// environments, the local gateway's routes and the OpenAPI document — with nothing else edited.
const NAME = 'coupon-notes';
// Inside the clone, so the copied sources resolve the workspace packages and zod.
const root = join(REPO_ROOT, '.run', `adding-a-function-${process.pid}`);
const generator = (...args: string[]) =>
  spawnSync(process.execPath, [join(REPO_ROOT, 'scripts/functions.mjs'), '--root', root, ...args], {
    encoding: 'utf8',
  });

beforeAll(() => {
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  const skip = (path: string) => !/\/(dist|node_modules)(\/|$)/.test(path);
  for (const path of ['functions', 'shared', 'helm', 'docs', 'skaffold.yaml', '.prettierrc.json', 'tsconfig.base.json'])
    if (existsSync(join(REPO_ROOT, path)))
      cpSync(join(REPO_ROOT, path), join(root, path), { recursive: true, filter: skip });
  // The copy of one function folder, then its manifest and contract made its own.
  cpSync(join(root, 'functions/user-lookup'), join(root, 'functions', NAME), { recursive: true });
  writeFileSync(
    join(root, 'functions', NAME, 'function.yaml'),
    `name: ${NAME}
description: Notes on coupons
order: 95
routes:
  - prefix: /api/v1/notes
needs: [redis, issuer, verifier]
env:
  - name: NOTES_LIMIT
    value: config.expireBatchLimit
    dev: '7'
workload: ksvc
scaling:
  containerConcurrency: 10
  autoscaling: { metric: concurrency, target: 7, targetUtilization: 70, minScale: 0, maxScale: 3, initialScale: 1, scaleDownDelay: 0s }
  timeoutSeconds: 30
  resources: { requests: { cpu: 100m, memory: 64Mi }, limits: { memory: 128Mi } }
`,
  );
  writeFileSync(
    join(root, 'functions', NAME, 'src/contract.ts'),
    `import { defineContract } from '@couponkill/http';
import { z } from 'zod';

export const contracts = [
  defineContract({
    method: 'GET',
    path: '/api/v1/notes',
    operationId: 'listNotes',
    summary: 'The notes',
    tags: ['coupons'],
    auth: 'user',
    request: {},
    errors: [],
    responses: { 200: { description: 'The notes', schema: z.strictObject({ notes: z.array(z.string()) }), example: { notes: [] } } },
  }),
];
`,
  );
}, 60_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('a new function folder with a manifest', () => {
  it('makes the generated files stale until `make generate` runs, then they are in step', () => {
    const stale = generator('--check');
    expect(stale.status).toBe(1);
    expect(stale.stderr).toContain('skaffold.yaml differs');
    const write = generator();
    expect(write.status, write.stderr).toBe(0);
    expect(generator('--check').status).toBe(0);
  });

  it('is built and deployed by skaffold', () => {
    const skaffold = readFileSync(join(root, 'skaffold.yaml'), 'utf8');
    expect(skaffold).toContain(`- image: couponkill/${NAME}`);
    expect(skaffold).toContain(`buildCommand: node scripts/tasks.mjs skaffold-build ${NAME}`);
    expect(skaffold).toContain(`FUNCTION: ${NAME}`);
    expect(skaffold).toContain(`functions.${NAME}.image.ref: '{{with .IMAGE_FULLY_QUALIFIED_couponkill_coupon_notes}}`);
  });

  it("has its values, documented, and the chart's schema accepts them", () => {
    const text = readFileSync(join(root, 'helm/couponkill/values.yaml'), 'utf8');
    expect(text).toContain(`## @param functions.${NAME}.enabled Deploy ${NAME}: notes on coupons`);
    const values = parse(text) as { functions: Record<string, { containerConcurrency: number }> };
    expect(values.functions[NAME]?.containerConcurrency).toBe(10);
    const schema = JSON.parse(readFileSync(join(root, 'helm/couponkill/values.schema.json'), 'utf8')) as {
      properties: { functions: { properties: Record<string, unknown> } };
    };
    expect(schema.properties.functions.properties[NAME]).toBeDefined();
  });

  it.skipIf(!existsSync(join(kubeToolsBin(), 'helm')))('is rendered by the chart: its ksvc, env and route', () => {
    const helmHome = join(root, '.helm');
    const rendered = spawnSync(
      join(kubeToolsBin(), 'helm'),
      ['template', 'couponkill', join(root, 'helm/couponkill'), '--namespace', 'couponkill'],
      {
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
        env: {
          ...process.env,
          HELM_CACHE_HOME: join(helmHome, 'cache'),
          HELM_CONFIG_HOME: join(helmHome, 'config'),
          HELM_DATA_HOME: join(helmHome, 'data'),
        },
      },
    );
    expect(rendered.status, rendered.stderr).toBe(0);
    const objects = parseAllDocuments(rendered.stdout).map((d) => d.toJS() as Record<string, never>);
    type Ksvc = {
      kind: string;
      metadata: { name: string };
      spec: { template: { spec: { containers: Array<{ env: Array<{ name: string; value?: string }> }> } } };
    };
    const ksvc = (objects as unknown as Ksvc[]).find(
      (o) => o?.kind === 'Service' && o.metadata.name === NAME && 'template' in o.spec,
    );
    const env = ksvc?.spec.template.spec.containers[0]?.env ?? [];
    expect(env).toContainEqual({ name: 'NOTES_LIMIT', value: '500' });
    expect(env.map((e) => e.name)).toEqual(expect.arrayContaining(['REDIS_URL', 'AUTH_ISSUER', 'AUTH_JWKS_URL']));
    expect(env.map((e) => e.name)).not.toContain('MYSQL_URL');
    expect(rendered.stdout).toContain(`authority: ${NAME}.couponkill.svc.cluster.local`);
    expect(rendered.stdout).toContain('- uri: {"prefix":"/api/v1/notes"}');
  });

  it("gets make dev's environment from its needs, and the local gateway routes to it", () => {
    const envOf = functionEnvironments({
      endpoints: {
        redisUrl: 'redis://127.0.0.1:1',
        mysqlUrl: 'mysql://127.0.0.1:2',
        kafkaBrokers: ['127.0.0.1:3'],
        nacos: { serverAddr: '127.0.0.1:4', username: 'nacos', password: 'nacos' },
      },
      signingKeys: '[]',
      jobToken: 'token',
      nacosNamespace: 'dev',
      logLevel: 'info',
      root,
    });
    const env = envOf[NAME]?.(new Map([['user-auth', 5]]));
    expect(env).toEqual({
      REDIS_URL: 'redis://127.0.0.1:1',
      AUTH_ISSUER: 'https://auth.couponkill.local',
      AUTH_JWKS_URL: 'http://127.0.0.1:5/.well-known/jwks.json',
      LOG_LEVEL: 'info',
      NOTES_LIMIT: '7',
    });
    expect(routeFor(loadRouteTable(root), '/api/v1/notes/n1')).toBe(NAME);
  });

  it('has its routes in the OpenAPI document', async () => {
    const contracts = await loadContracts(root);
    expect(Object.keys(contracts).at(-1)).toBe(NAME);
    const doc = buildOpenApi(contracts) as { paths: Record<string, { get?: { operationId: string } }> };
    expect(doc.paths['/api/v1/notes']?.get?.operationId).toBe('listNotes');
  });
});
