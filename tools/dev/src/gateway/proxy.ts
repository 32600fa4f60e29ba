import { request } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorBody } from '@couponkill/errors';
import { AppError } from '@couponkill/errors';

// Hop-by-hop headers are for one connection only and are never forwarded (RFC 9110 §7.6.1).
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * Streams a request to a function on 127.0.0.1 and its answer back, the way the ingress does:
 * the body is never buffered, X-Forwarded-For gets the client's address appended, and an
 * unreachable function is a 503 JSON error rather than a hung or reset connection.
 */
export function proxyTo(port: number, req: IncomingMessage, res: ServerResponse, requestId: string): void {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
  }
  const forwarded = req.headers['x-forwarded-for'];
  headers['x-forwarded-for'] = [forwarded, req.socket.remoteAddress].filter(Boolean).join(', ');
  headers['x-request-id'] = requestId;
  const upstream = request(
    { host: '127.0.0.1', port, method: req.method, path: req.url, headers, timeout: 30_000 },
    (answer) => {
      const out: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(answer.headers)) {
        if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
      }
      res.writeHead(answer.statusCode ?? 502, out);
      answer.pipe(res);
    },
  );
  upstream.on('timeout', () => upstream.destroy(new Error('upstream timeout')));
  upstream.on('error', () => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body = errorBody(new AppError('UNAVAILABLE', 'The function behind this route is not answering.'), requestId);
    res.writeHead(503, { 'content-type': 'application/json; charset=utf-8', 'retry-after': '1' });
    res.end(JSON.stringify(body));
  });
  req.pipe(upstream);
}
