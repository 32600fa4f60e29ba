import type { HttpRequest } from './types.js';

/**
 * The path and query of a request. Split by hand rather than with `new URL(path, base)`, which
 * would read a path starting with `//` as a host name.
 */
export function requestUrl(req: HttpRequest): { readonly path: string; readonly query: URLSearchParams } {
  // Express rewrites `url` under a mounted router; `originalUrl` is what the client sent.
  let url = req.originalUrl ?? req.url ?? '/';
  if (!url.startsWith('/')) url = absoluteFormPath(url);
  const q = url.indexOf('?');
  return q === -1
    ? { path: url, query: new URLSearchParams() }
    : { path: url.slice(0, q), query: new URLSearchParams(url.slice(q + 1)) };
}

/** A request line may carry an absolute URL (`GET http://host/x HTTP/1.1`); keep its path. */
function absoluteFormPath(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.pathname}${parsed.search}`;
  } catch {
    return url;
  }
}
