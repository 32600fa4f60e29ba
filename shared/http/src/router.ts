import { AppError } from '@couponkill/errors';
import type { HttpMethod, Route } from './types.js';

type Segment = { readonly literal: string } | { readonly param: string };

export interface CompiledRoute {
  readonly route: Route;
  readonly segments: readonly Segment[];
}

export type RouteMatch =
  | { readonly kind: 'found'; readonly route: Route; readonly rawParams: Readonly<Record<string, string>> }
  | { readonly kind: 'wrong-method'; readonly pattern: string; readonly allow: readonly HttpMethod[] }
  | { readonly kind: 'none' };

const PARAM = /^:([A-Za-z_][A-Za-z0-9_]*)$/;

/** Checks the route table once at start-up, so a typo fails the deployment, not a request. */
export function compileRoutes(routes: readonly Route[]): CompiledRoute[] {
  const seen = new Set<string>();
  return routes.map((route) => {
    if (!route.path.startsWith('/')) throw new Error(`route path must start with "/": ${route.path}`);
    const key = `${route.method} ${route.path.replace(/:[^/]+/g, ':')}`;
    if (seen.has(key)) throw new Error(`duplicate route ${route.method} ${route.path}`);
    seen.add(key);
    const names = new Set<string>();
    const segments = route.path.split('/').map((part): Segment => {
      if (!part.startsWith(':')) return { literal: part };
      const name = PARAM.exec(part)?.[1];
      if (name === undefined) throw new Error(`bad parameter "${part}" in ${route.path}`);
      if (names.has(name)) throw new Error(`parameter "${name}" repeated in ${route.path}`);
      names.add(name);
      return { param: name };
    });
    return { route, segments };
  });
}

/**
 * Finds the first declared route matching `path` and `method`. Segments are compared before
 * decoding, so an encoded `/` (`%2F`) stays inside one parameter; see `decodeParams`.
 */
export function matchRoute(routes: readonly CompiledRoute[], method: string, path: string): RouteMatch {
  const parts = path.split('/');
  const matching = routes.filter((r) => fits(r.segments, parts));
  const found = matching.find((r) => r.route.method === method);
  if (found !== undefined) return { kind: 'found', route: found.route, rawParams: rawParams(found.segments, parts) };
  const first = matching[0];
  if (first === undefined) return { kind: 'none' };
  return { kind: 'wrong-method', pattern: first.route.path, allow: [...new Set(matching.map((r) => r.route.method))] };
}

function fits(segments: readonly Segment[], parts: readonly string[]): boolean {
  if (segments.length !== parts.length) return false;
  return segments.every((segment, i) => {
    const part = parts[i] ?? '';
    return 'literal' in segment ? segment.literal === part : part !== '';
  });
}

function rawParams(segments: readonly Segment[], parts: readonly string[]): Record<string, string> {
  const params: Record<string, string> = {};
  segments.forEach((segment, i) => {
    if ('param' in segment) params[segment.param] = parts[i] ?? '';
  });
  return params;
}

/** Percent-decodes matched parameters; a malformed escape (`%E0%A4%A`) is a 400, not a crash. */
export function decodeParams(raw: Readonly<Record<string, string>>): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    try {
      params[name] = decodeURIComponent(value);
    } catch {
      throw new AppError('BAD_REQUEST', `The path parameter "${name}" has malformed percent-encoding.`);
    }
  }
  return params;
}
