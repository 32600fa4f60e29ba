// The baselines of `make bench`: the least a node:http server can do per request. Run as its own
// process with plain `node` (Node 24 strips the types), PORT from the environment.
//
// Without ANSWER it answers {"hello":"world"}. With ANSWER (JSON: status, headers, body and the
// request id they were recorded with) it answers exactly those bytes, each with a fresh request
// id in place of the recorded one: a recorded answer of ours (the sold-out refusal) written by
// bare node:http with nothing else done, i.e. what those bytes alone cost.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

interface Recorded {
  readonly status: number;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: string;
  readonly requestId: string;
}

const recorded = process.env['ANSWER'] === undefined ? undefined : (JSON.parse(process.env['ANSWER']) as Recorded);

const hello = JSON.stringify({ hello: 'world' });
const server = createServer(
  recorded === undefined
    ? (_req, res) => {
        res
          .writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(hello) })
          .end(hello);
      }
    : replay(recorded),
);
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env['PORT'] ?? 8080), '127.0.0.1');
process.once('SIGTERM', () => process.exit(0));

function replay({ status, headers, body, requestId }: Recorded) {
  const [head = '', tail = ''] = body.split(requestId);
  return (req: IncomingMessage, res: ServerResponse) => {
    // The readiness poll of the bench gets a plain 200.
    if (req.method === 'GET') return void res.end('ok');
    const id = randomUUID();
    const text = head + id + tail;
    const flat: string[] = [];
    for (const [name, value] of headers) {
      flat.push(
        name,
        name === 'x-request-id' ? id : name === 'content-length' ? String(Buffer.byteLength(text)) : value,
      );
    }
    res.writeHead(status, flat).end(text);
  };
}
