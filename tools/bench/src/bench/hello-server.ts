// The baseline of `make bench`: the least a node:http server can do per request. Run as its own
// process with plain `node` (Node 24 strips the types), PORT from the environment.
import { createServer } from 'node:http';

const body = JSON.stringify({ hello: 'world' });
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env['PORT'] ?? 8080), '127.0.0.1');
process.once('SIGTERM', () => process.exit(0));
