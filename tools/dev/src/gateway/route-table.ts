import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { REPO_ROOT } from '@couponkill/servers';

const routeSchema = z.union([
  z.strictObject({ exact: z.string().startsWith('/'), function: z.string() }),
  z.strictObject({ prefix: z.string().startsWith('/'), function: z.string() }),
  z.strictObject({ regex: z.string().startsWith('^').endsWith('$'), function: z.string() }),
]);
const tableSchema = z.strictObject({ routes: z.array(routeSchema).min(1) });

export type RouteEntry = z.output<typeof routeSchema>;

/** `functions/routes.yaml`, validated. */
export function loadRouteTable(file = join(REPO_ROOT, 'functions', 'routes.yaml')): RouteEntry[] {
  return tableSchema.parse(parse(readFileSync(file, 'utf8'))).routes;
}

/** The function that serves `path`, by the first matching entry. */
export function routeFor(table: readonly RouteEntry[], path: string): string | undefined {
  return table.find((entry) => matches(entry, path))?.function;
}

function matches(entry: RouteEntry, path: string): boolean {
  if ('exact' in entry) return path === entry.exact;
  if ('regex' in entry) return new RegExp(entry.regex).test(path);
  return path === entry.prefix.replace(/\/$/, '') || path.startsWith(entry.prefix);
}

/** Every function the table names, in order of first appearance. */
export function functionsOf(table: readonly RouteEntry[]): string[] {
  return [...new Set(table.map((entry) => entry.function))];
}
