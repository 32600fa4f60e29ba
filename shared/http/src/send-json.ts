import type { HeaderValues, HttpResponse } from './types.js';

/**
 * Writes a complete JSON response. The body is serialised before anything is written, so a value
 * that cannot be serialised throws while a proper error response is still possible.
 */
export function sendJson(res: HttpResponse, status: number, body: unknown, headers: HeaderValues = {}): void {
  const text = status === 204 || status === 304 ? undefined : (JSON.stringify(body) as string | undefined);
  res.statusCode = status;
  // API responses are per-user and change by the millisecond during a sale; a handler may override.
  res.setHeader('cache-control', 'no-store');
  if (text !== undefined) res.setHeader('content-type', 'application/json; charset=utf-8');
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  if (text === undefined) {
    res.end();
    return;
  }
  res.setHeader('content-length', Buffer.byteLength(text));
  res.end(text);
}
