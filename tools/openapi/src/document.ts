import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openApiDocument, type RouteContract } from '@couponkill/http';
import { loadManifests } from '@couponkill/manifest';
import { REPO_ROOT } from '@couponkill/servers';

export type Contracts = Readonly<Record<string, readonly RouteContract[]>>;

/**
 * Every route of every function, by function in the manifests' order (the order of the document's
 * tags follows it): the `contracts` export of each functions/<name>/src/contract.ts.
 */
export async function loadContracts(root = REPO_ROOT): Promise<Contracts> {
  const found: Record<string, readonly RouteContract[]> = {};
  for (const { name } of loadManifests(root)) {
    const file = join(root, 'functions', name, 'src', 'contract.ts');
    if (!existsSync(file)) continue;
    const module = (await import(pathToFileURL(file).href)) as { contracts?: readonly RouteContract[] };
    if (module.contracts === undefined) throw new Error(`functions/${name}/src/contract.ts exports no \`contracts\``);
    found[name] = module.contracts;
  }
  return found;
}

export const CONTRACTS: Contracts = await loadContracts();

/** The one OpenAPI document of the API, built from the routes' own zod schemas. */
export function buildOpenApi(contracts: Contracts = CONTRACTS): Record<string, unknown> {
  return openApiDocument(
    {
      title: 'CouponKill API',
      version: '1.0.0',
      description:
        'Coupons sold in timed sales. Every error answer has the body `{"error":{"code","message","requestId","fields"?}}` with ' +
        'a code from a closed list. Request bodies are JSON (`Content-Type: application/json`, UTF-8), size-capped ' +
        'per function; unknown body fields and unknown query parameters are refused (400 VALIDATION_FAILED), ' +
        'headers a route does not name are ignored. Routes tagged `jobs` and `events` are internal: they are not ' +
        'routed from the public gateway.',
      servers: [{ url: 'http://127.0.0.1:8080', description: 'make dev' }],
      tags: [
        { name: 'auth', description: 'Accounts and tokens (user-auth).' },
        { name: 'users', description: 'Profiles (user-lookup).' },
        { name: 'coupons', description: 'Coupon definitions and their sale state (coupon-admin).' },
        { name: 'grabs', description: 'The grab and its result (grab-coupon, grab-result).' },
        { name: 'orders', description: 'Orders from grabs (orders).' },
        { name: 'jobs', description: 'Scheduled jobs (orders, audit); internal.' },
        { name: 'events', description: 'CloudEvent sinks behind the KafkaSource (create-order); internal.' },
        { name: 'meta', description: 'This document.' },
      ],
    },
    Object.values(contracts).flat(),
  );
}

/** The document as written to `docs/openapi.json` (stable formatting, so a diff shows real drift). */
export function renderOpenApi(contracts: Contracts = CONTRACTS): string {
  return `${JSON.stringify(buildOpenApi(contracts), null, 2)}\n`;
}
