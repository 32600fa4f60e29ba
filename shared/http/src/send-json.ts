import type { OutgoingHttpHeaders } from 'node:http';
import type { HeaderValues, HttpResponse } from './types.js';

/**
 * Writes a complete JSON response. The body is serialised before anything is written, so a value
 * that cannot be serialised throws while a proper error response is still possible.
 */
export function sendJson(res: HttpResponse, status: number, body: unknown, headers: HeaderValues = {}): void {
  const text = status === 204 || status === 304 ? undefined : (JSON.stringify(body) as string | undefined);
  // API responses are per-user and change by the millisecond during a sale; a handler may override
  // (names are lower-cased, so its header replaces ours).
  const out: OutgoingHttpHeaders = { 'cache-control': 'no-store' };
  if (text !== undefined) out['content-type'] = 'application/json; charset=utf-8';
  for (const name in headers) out[name.toLowerCase()] = headers[name] as OutgoingHttpHeaders[string];
  if (text !== undefined) out['content-length'] = Buffer.byteLength(text);
  // One writeHead: when nothing was set before, node writes this object as it is (no setHeader
  // per header); headers set before (x-request-id) are kept, and those named here replaced.
  res.writeHead(status, out);
  res.end(text);
}
