import { loadManifests, publicRoutes, type RouteEntry } from '@couponkill/manifest';
import { REPO_ROOT } from '@couponkill/servers';

export type { RouteEntry };

/** The public routes of the function manifests (functions/<name>/function.yaml), first match wins. */
export function loadRouteTable(root = REPO_ROOT): RouteEntry[] {
  return publicRoutes(loadManifests(root));
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
