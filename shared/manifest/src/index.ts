/**
 * One manifest per function, `functions/<name>/function.yaml`: its public routes, what it needs
 * from the platform, its extra environment and its scaling defaults. The dev runtime, the OpenAPI
 * document and `scripts/functions.mjs` (skaffold.yaml, the chart's values and per-function facts)
 * all read the functions from here, so a new folder with a manifest is picked up everywhere.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';

/**
 * What a function's code reads, each of which becomes environment in the chart (and in make dev):
 * mysql MYSQL_URL (+ pool bounds), redis REDIS_URL (every function gets it in the chart), kafka
 * KAFKA_BROKERS (+ TLS/SASL), nacos live configuration (the chart gives every function Nacos; make
 * dev only those that need it), issuer AUTH_ISSUER/AUDIENCE, verifier AUTH_JWKS_URL, signingKeys
 * AUTH_SIGNING_KEYS, clientAddress TRUSTED_PROXY_HOPS, coupons COUPONS_DATABASE, jobToken JOB_TOKEN.
 */
export const NEEDS = [
  'mysql',
  'redis',
  'kafka',
  'nacos',
  'issuer',
  'verifier',
  'signingKeys',
  'clientAddress',
  'coupons',
  'jobToken',
] as const;
export type Need = (typeof NEEDS)[number];

const routeSchema = z.union([
  z.strictObject({ exact: z.string().startsWith('/') }),
  z.strictObject({ prefix: z.string().startsWith('/') }),
  z.strictObject({ regex: z.string().startsWith('^').endsWith('$') }),
]);

const envSchema = z
  .strictObject({
    name: z.string().regex(/^[A-Z][A-Z0-9_]*$/),
    /** A chart value path, e.g. `config.soldOutMarkMs` (rendered quoted). */
    value: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)*$/)
      .optional(),
    /** A field of the pod, e.g. `metadata.name`. */
    fieldRef: z.string().optional(),
    /** What make dev sets it to; absent: make dev leaves it unset (the function's default). */
    dev: z.string().optional(),
  })
  .refine((e) => (e.value === undefined) !== (e.fieldRef === undefined), 'exactly one of value and fieldRef');

const quantity = z.union([z.string(), z.number()]);
const resourcesSchema = z.strictObject({
  requests: z.strictObject({ cpu: quantity.optional(), memory: z.string().optional() }).optional(),
  limits: z.strictObject({ cpu: quantity.optional(), memory: z.string().optional() }).optional(),
});

/** The chart's defaults for `functions.<name>` (values.yaml), besides enabled, image and env. */
const scalingSchema = z.strictObject({
  replicas: z.int().min(0).optional(),
  containerConcurrency: z.int().min(0).max(10_000),
  autoscaling: z.strictObject({
    metric: z.enum(['concurrency', 'rps']),
    target: z.int().min(1),
    targetUtilization: z.int().min(1).max(100),
    minScale: z.int().min(0),
    maxScale: z.int().min(0),
    initialScale: z.int().min(0),
    scaleDownDelay: z.string().regex(/^[0-9]+(s|m|h)$|^0$/),
  }),
  timeoutSeconds: z.int().min(1).max(3600),
  resources: resourcesSchema,
  keda: z
    .strictObject({
      minReplicas: z.int().min(0),
      maxReplicas: z.int().min(1),
      lagThreshold: z.int().min(1),
      activationLagThreshold: z.int().min(0),
      pollingInterval: z.int().min(1),
      cooldownPeriod: z.int().min(0),
      offsetResetPolicy: z.enum(['earliest', 'latest']),
    })
    .optional(),
});

export const functionManifestSchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9-]*$/),
  description: z.string().min(1),
  /** Position in every listing (skaffold artifacts, values, OpenAPI tags' order, make dev's start order). */
  order: z.int().min(1),
  /** Public paths routed to it (the local gateway and the Istio VirtualService). */
  routes: z.array(routeSchema).default([]),
  needs: z.array(z.enum(NEEDS)).default([]),
  /** Environment beyond what `needs` gives, in this order. */
  env: z.array(envSchema).default([]),
  /** The largest JSON request body it reads (bytes). */
  bodyCapBytes: z.int().min(0).optional(),
  /** Its request path must not change (client address, mesh identity): the Knative activator is kept out. */
  directPath: z.boolean().default(false),
  /** Applies its database migrations (MIGRATE_ON_START in make dev, a migration hook Job in the chart). */
  migrate: z.boolean().default(false),
  /** Serves the API's OpenAPI document (OPENAPI_FILE, mounted from the chart's ConfigMap). */
  openapi: z.boolean().default(false),
  gateway: z
    .strictObject({
      /** false: never retried by the mesh (not idempotent). */
      retries: z.boolean().default(true),
      /** function: the route waits as long as the function's timeoutSeconds (streams); route: istio.routeTimeout. */
      timeout: z.enum(['route', 'function']).default('route'),
    })
    .prefault({}),
  dev: z
    .strictObject({
      /** false: make dev does not run it (it is started on demand, e.g. a job's function). */
      start: z.boolean().default(true),
      /** Environment only make dev sets (what an init Job does in the cluster). */
      env: z.record(z.string(), z.string()).default({}),
    })
    .prefault({}),
  workload: z.enum(['ksvc', 'deployment']),
  scaling: scalingSchema,
});

export type FunctionManifest = z.output<typeof functionManifestSchema>;
export type Route = z.output<typeof routeSchema>;
export type RouteEntry = Route & { readonly function: string };

export const MANIFEST_FILE = 'function.yaml';

/** Every `functions/<name>/function.yaml` under `root`, validated, by `order`. */
export function loadManifests(root: string): FunctionManifest[] {
  const dir = join(root, 'functions');
  const manifests = readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, MANIFEST_FILE)))
    .map((entry) => {
      const file = join('functions', entry.name, MANIFEST_FILE);
      const result = functionManifestSchema.safeParse(parse(readFileSync(join(root, file), 'utf8')));
      if (!result.success) throw new Error(`${file}: ${z.prettifyError(result.error)}`);
      if (result.data.name !== entry.name) throw new Error(`${file}: name ${result.data.name} is not its folder's`);
      return result.data;
    })
    .sort((a, b) => a.order - b.order);
  for (let i = 1; i < manifests.length; i++) {
    const [a, b] = [manifests[i - 1], manifests[i]];
    if (a !== undefined && b !== undefined && a.order === b.order)
      throw new Error(`functions ${a.name} and ${b.name} have the same order ${a.order}`);
  }
  return manifests;
}

const rank = (r: Route) => ('exact' in r ? 0 : 'regex' in r ? 1 : 2);
const text = (r: Route) => ('exact' in r ? r.exact : 'regex' in r ? r.regex : r.prefix);
const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The public routes of all functions, first match wins, in an order that does not depend on which
 * manifest declares them: exact paths, then regexes (anchored, whole path), then prefixes longest
 * first, so a more specific route is never shadowed by a shorter prefix.
 */
export function publicRoutes(manifests: readonly FunctionManifest[]): RouteEntry[] {
  const routes = manifests.flatMap((m) => m.routes.map((r) => ({ ...r, function: m.name })));
  const seen = new Map<string, string>();
  for (const r of routes) {
    const key = `${rank(r)} ${text(r)}`;
    const other = seen.get(key);
    if (other !== undefined) throw new Error(`route ${text(r)} is declared by ${other} and ${r.function}`);
    seen.set(key, r.function);
  }
  return routes.sort(
    (a, b) =>
      rank(a) - rank(b) || (rank(a) === 2 ? text(b).length - text(a).length : 0) || byCodePoint(text(a), text(b)),
  );
}
