// The load generator of `make bench`, in a process of its own (the orchestrator pins it to its own
// core): autocannon's programmatic API, a warm-up run (discarded) then the measured run. Run with
// plain node (Node 24 strips the types), so it imports nothing but autocannon, node builtins and
// types.
// The job comes as JSON in argv[2]; `{ phase: 'measuring' }` and then `{ phase: 'done', … }` go
// back over the IPC channel, so the orchestrator reads the server's CPU time around the measured
// run only.
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import type { LoadJob } from './load.js';

const job = JSON.parse(process.argv[2] ?? '{}') as LoadJob;
const tokens: string[] =
  job.tokensFile === undefined ? [] : (JSON.parse(readFileSync(job.tokensFile, 'utf8')) as string[]);
let next = Math.floor(Math.random() * Math.max(1, tokens.length));
const requests: autocannon.Request[] | undefined =
  job.path === undefined
    ? undefined
    : [
        {
          method: 'POST',
          path: job.path,
          setupRequest: (request) => ({
            ...request,
            headers: { ...request.headers, authorization: tokens[next++ % tokens.length] ?? '' },
          }),
        },
      ];

function run(durationSeconds: number): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: job.url,
        connections: job.connections,
        duration: durationSeconds,
        timeout: 10,
        ...(job.overallRate === undefined ? {} : { overallRate: job.overallRate }),
        ...(requests === undefined ? {} : { requests }),
      },
      (err: unknown, result) =>
        err
          ? reject(err instanceof Error ? err : new Error(`autocannon failed: ${JSON.stringify(err)}`))
          : resolve(result),
    );
  });
}

const send = (message: object) =>
  new Promise<void>((resolve, reject) => {
    if (process.send === undefined) {
      process.stdout.write(`${JSON.stringify(message)}\n`);
      resolve();
      return;
    }
    process.send(message, undefined, {}, (err: Error | null) => (err ? reject(err) : resolve()));
  });

try {
  if (job.warmupSeconds > 0) await run(job.warmupSeconds);
  await send({ phase: 'measuring' });
  const cpuBefore = process.cpuUsage();
  const result = await run(job.durationSeconds);
  const cpu = process.cpuUsage(cpuBefore);
  const statusCodes: Record<string, number> = {};
  for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = stats.count ?? 0;
  await send({
    phase: 'done',
    durationSeconds: result.duration,
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p90Ms: result.latency.p90,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    responses: Object.values(statusCodes).reduce((a, b) => a + b, 0),
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
    loadgenCpuSeconds: (cpu.user + cpu.system) / 1e6,
  });
  process.exit(0);
} catch (err) {
  process.stderr.write(`loadgen: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
